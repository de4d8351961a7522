import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId } from '@moim/kit';
import { ProductEntity, ReviewEntity } from '@moim/review';
import { FollowEntity, UserEntity } from '@moim/social';
import { startGraph, userRow, type Graph } from './harness';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

it('serves a LATEST page of 50 reviews with authors in a bounded number of SQL queries and one _entities call', async () => {
  const now = Date.now();
  const users = Array.from({ length: 50 }, (_, i) => userRow(`batch_${i}`, new Date(now)));
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

it('pages nested lists for every parent with one query per list, whatever the number of parents', async () => {
  const socialDs = graph.social.deps.db.dataSource;
  const reviewDs = graph.review.deps.db.dataSource;
  const users = await socialDs.getRepository(UserEntity).find();
  const byNickname = new Map(users.map((u) => [u.nickname, u]));
  const now = Date.now();
  // batch_0, batch_1 and batch_2 get 12, 6 and 0 followers; batch_0 four more (older) reviews.
  // Followers are users without a review on the first feed page (batch_30…), so none of them is
  // already in the request's user cache and the follower batch is always a query of its own.
  const followers = Array.from({ length: 12 }, (_, i) => byNickname.get(`batch_${30 + i}`)!);
  const follows = [12, 6, 0].flatMap((count, ai) => {
    const author = byNickname.get(`batch_${ai}`)!;
    return followers.slice(0, count).map((u, i) => ({
      followerId: u.id,
      followeeId: author.id,
      createdAt: new Date(now - (ai * 100 + i) * 1000),
    }));
  });
  await socialDs.getRepository(FollowEntity).insert(follows);
  const product = (await reviewDs.getRepository(ProductEntity).find({ take: 1 }))[0]!;
  await reviewDs.getRepository(ReviewEntity).insert(
    [1, 2, 3, 4].map((i) => ({
      id: newId(),
      kind: 'SOSOLOG' as const,
      title: null,
      body: `older ${i}`,
      rating: 3,
      placeId: null,
      productId: product.id,
      authorId: byNickname.get('batch_0')!.id,
      hidden: false,
      createdAt: new Date(now - 86_400_000 * i),
      updatedAt: new Date(now),
    })),
  );

  const reviewSql = graph.review.deps.db.queryCount();
  const socialSql = graph.social.deps.db.queryCount();
  type Author = {
    id: string;
    nickname: string;
    followers: { edges: Array<{ node: { nickname: string } }>; pageInfo: { hasNextPage: boolean } };
    reviews: { edges: Array<{ node: { body: string } }>; pageInfo: { hasNextPage: boolean } };
  };
  const res = await graph.gql<{ feed: { edges: Array<{ node: { author: Author } }> } }>(`{
    feed(tab: LATEST, first: 30) {
      edges { node { author { id nickname
        followers(first: 5) { edges { node { nickname } } pageInfo { hasNextPage } }
        reviews(first: 3) { edges { node { body } } pageInfo { hasNextPage } } } } }
    }
  }`);
  expect(res.errors).toBeUndefined();
  expect(res.data.feed.edges).toHaveLength(30);
  // review: the feed page, then for all 30 authors one query of pages and one batch of reviews.
  expect(graph.review.deps.db.queryCount() - reviewSql).toBe(3);
  // social: the 30 authors, then one query of follower pages and one batch of follower users.
  expect(graph.social.deps.db.queryCount() - socialSql).toBe(3);

  // Every author got their own followers and reviews, newest first.
  for (const { node } of res.data.feed.edges) {
    const followers = await socialDs
      .getRepository(FollowEntity)
      .find({ where: { followeeId: node.author.id }, order: { createdAt: 'DESC', followerId: 'DESC' } });
    expect(node.author.followers.edges.map((e) => e.node.nickname)).toEqual(
      followers.slice(0, 5).map((f) => users.find((u) => u.id === f.followerId)!.nickname),
    );
    expect(node.author.followers.pageInfo.hasNextPage).toBe(followers.length > 5);
    const reviews = await reviewDs
      .getRepository(ReviewEntity)
      .find({ where: { authorId: node.author.id }, order: { createdAt: 'DESC', id: 'DESC' } });
    expect(node.author.reviews.edges.map((e) => e.node.body)).toEqual(reviews.slice(0, 3).map((r) => r.body));
    expect(node.author.reviews.pageInfo.hasNextPage).toBe(reviews.length > 3);
  }
  const batch0 = res.data.feed.edges.find((e) => e.node.author.nickname === 'batch_0')!.node.author;
  expect(batch0.followers.edges).toHaveLength(5);
  expect(batch0.reviews.edges.map((e) => e.node.body)).toEqual(['review 0', 'older 1', 'older 2']);
});

it('pages a user’s followers with first/after, newest first, each once', async () => {
  const ds = graph.social.deps.db.dataSource;
  const target = (await ds.getRepository(FollowEntity).find({ order: { createdAt: 'DESC' }, take: 1 }))[0]!
    .followeeId;
  const expected = (
    await ds
      .getRepository(FollowEntity)
      .find({ where: { followeeId: target }, order: { createdAt: 'DESC', followerId: 'DESC' } })
  ).map((f) => f.followerId);
  expect(expected).toHaveLength(12);
  const seen: string[] = [];
  let after: string | null = null;
  do {
    const res: Awaited<
      ReturnType<
        typeof graph.gql<{
          user: {
            followers: {
              edges: Array<{ node: { id: string } }>;
              pageInfo: { hasNextPage: boolean; endCursor: string };
            };
          };
        }>
      >
    > = await graph.gql(
      'query($id: ID!, $after: String) { user(id: $id) { followers(first: 5, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }',
      { id: target, after },
    );
    seen.push(...res.data.user.followers.edges.map((e) => e.node.id));
    after = res.data.user.followers.pageInfo.hasNextPage ? res.data.user.followers.pageInfo.endCursor : null;
  } while (after);
  expect(seen).toEqual(expected);
});
