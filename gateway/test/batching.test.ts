import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '@moim/kit';
import { ProductEntity, ReviewEntity } from '@moim/review';
import { UserEntity } from '@moim/social';
import { startGraph, type Graph } from './harness';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

it('serves a LATEST page of 50 reviews with authors in a bounded number of SQL queries and one _entities call', async () => {
  const now = Date.now();
  const users = Array.from({ length: 50 }, (_, i) => ({
    id: newId(),
    email: `batch${i}@example.com`,
    passwordHash: 'x',
    nickname: `batch_${i}`,
    bio: null,
    role: 'USER' as const,
    phone: null,
    phoneVerifiedAt: null,
    createdAt: new Date(now),
    updatedAt: new Date(now),
  }));
  await graph.social.deps.db.dataSource.getRepository(UserEntity).insert(users);
  const products = Array.from({ length: 5 }, (_, i) => ({
    id: newId(),
    name: `Product ${i}`,
    brand: null,
    category: 'snack',
    purchaseUrl: null,
    createdBy: users[0]!.id,
    createdAt: new Date(now),
  }));
  await graph.review.deps.db.dataSource.getRepository(ProductEntity).insert(products);
  await graph.review.deps.db.dataSource.getRepository(ReviewEntity).insert(
    users.map((u, i) => ({
      id: newId(),
      kind: 'SOSOLOG' as const,
      title: null,
      body: `review ${i}`,
      rating: (i % 5) + 1,
      placeId: null,
      productId: products[i % 5]!.id,
      authorId: u.id,
      hidden: false,
      createdAt: new Date(now - i * 1000),
      updatedAt: new Date(now - i * 1000),
    })),
  );

  let socialCalls = 0;
  const countCall = () => socialCalls++;
  graph.social.http.server.on('request', countCall);
  const reviewSql = graph.review.deps.db.queryCount();
  const socialSql = graph.social.deps.db.queryCount();

  const res = await graph.gql<{
    feed: {
      edges: Array<{
        node: {
          author: { nickname: string; followerCount: number };
          subject: { name: string; reviewCount: number };
        };
      }>;
    };
  }>(`{
    feed(tab: LATEST, first: 50) {
      edges { node { id body author { nickname followerCount } subject { ... on Product { name reviewCount } } } }
    }
  }`);
  graph.social.http.server.off('request', countCall);

  expect(res.errors).toBeUndefined();
  const nodes = res.data.feed.edges.map((e) => e.node);
  expect(nodes).toHaveLength(50);
  expect(nodes.map((n) => n.author.nickname)).toEqual(users.map((u) => u.nickname));
  expect(nodes[0]!.subject).toEqual({ name: 'Product 0', reviewCount: 10 });

  // review: the page, the products in one batch, their review counts in one batch.
  expect(graph.review.deps.db.queryCount() - reviewSql).toBe(3);
  // social: one _entities request for all 50 authors: the users in one query, follower counts in another.
  expect(socialCalls).toBe(1);
  expect(graph.social.deps.db.queryCount() - socialSql).toBe(2);
});
