import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId, type RunningService } from '@moim/kit';
import { ProductEntity, ReviewEntity, type Review } from '@moim/review';
import { FollowEntity, insertAccounts, type SocialDeps, type User } from '@moim/social';
import { startGraph, type Graph } from '../src';

// Each test writes its own rows dated after everything else, so the pages it reads are its own
// whether it runs alone or after the others.
let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

const social = () => graph.service<SocialDeps>('social');
const review = () => graph.service('review');
let clock = Date.now() + 86_400_000;
/** A time later than any used before in this file. */
const later = () => new Date((clock += 60_000));

async function users(prefix: string, count: number): Promise<User[]> {
  const accounts = Array.from({ length: count }, (_, i) => ({
    email: `${prefix}${i}@example.com`,
    nickname: `${prefix}${i}`,
    role: 'USER' as const,
    passwordHash: 'not-a-real-hash',
  }));
  return social().deps.db.transaction((m) => insertAccounts(m, accounts));
}

async function product(name: string): Promise<string> {
  const id = newId();
  await review().deps.db.dataSource.getRepository(ProductEntity).insert({
    id,
    name,
    brand: null,
    category: 'snack',
    purchaseUrl: null,
    createdBy: id,
    createdAt: new Date(),
  });
  return id;
}

function reviewRow(authorId: string, productId: string, body: string, at: Date): Review {
  return {
    id: newId(),
    kind: 'SOSOLOG',
    title: null,
    body,
    rating: 3,
    placeId: null,
    productId,
    authorId,
    hidden: false,
    createdAt: at,
    updatedAt: at,
  };
}

/** `_entities` operations a subgraph has served: the batches the gateway asked it for. */
async function entityBatches(service: RunningService): Promise<number> {
  const { values } = await service.metrics.rootFields.get();
  return values.find((v) => v.labels.field === '_entities')?.value ?? 0;
}

/** HTTP requests a subgraph has served on its GraphQL route. */
async function graphqlRequests(service: RunningService): Promise<number> {
  const { values } = await service.metrics.httpDuration.get();
  return values
    .filter((v) => v.metricName === 'http_request_duration_seconds_count' && v.labels.route === '/graphql')
    .reduce((sum, v) => sum + v.value, 0);
}

/**
 * Runs `query` (as the holder of `token`, if given) and returns what it cost: SQL statements per
 * subgraph, `_entities` batches to social and HTTP requests to social.
 */
async function measure<T>(query: string, token?: string) {
  await graph.settled(); // background work (events, relay) is not counted, but let it be quiet
  const before = {
    reviewSql: review().deps.db.queryCount(),
    socialSql: social().deps.db.queryCount(),
    batches: await entityBatches(social()),
    socialCalls: await graphqlRequests(social()),
  };
  const res = await graph.gql<T>(query, {}, token);
  expect(res.errors).toBeUndefined();
  return {
    data: res.data,
    reviewSql: review().deps.db.queryCount() - before.reviewSql,
    socialSql: social().deps.db.queryCount() - before.socialSql,
    socialBatches: (await entityBatches(social())) - before.batches,
    socialCalls: (await graphqlRequests(social())) - before.socialCalls,
  };
}

it('serves a LATEST page of 50 reviews with authors in a bounded number of SQL queries and one _entities batch', async () => {
  const authors = await users('batch_', 50);
  const products = await Promise.all([0, 1, 2, 3, 4].map((i) => product(`Batch product ${i}`)));
  const rows = authors.map((u, i) => reviewRow(u.id, products[i % 5]!, `review ${i}`, later()));
  await review().deps.db.dataSource.getRepository(ReviewEntity).insert(rows);

  const cost = await measure<{
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

  const nodes = cost.data.feed.edges.map((e) => e.node);
  expect(nodes.map((n) => n.author.nickname)).toEqual(authors.map((u) => u.nickname).reverse());
  expect(nodes[0]!.subject).toEqual({ name: 'Batch product 4', reviewCount: 10 });
  // review: the page, the products in one batch, their review counts in one batch.
  expect(cost.reviewSql).toBe(3);
  // social: one _entities batch for all 50 authors: the users in one query, follower counts in another.
  expect(cost.socialBatches).toBe(1);
  expect(cost.socialCalls).toBe(1);
  expect(cost.socialSql).toBe(2);
});

it('pages nested lists for every parent with one query per list, whatever the number of parents', async () => {
  const authors = await users('nested_author_', 30);
  const followers = await users('nested_fan_', 12);
  const productId = await product('Nested product');
  // Older reviews first: author 0 gets four more than the page of three shows.
  const older = [1, 2, 3, 4].map((i) => reviewRow(authors[0]!.id, productId, `older ${i}`, later()));
  const newest = authors.map((u, i) => reviewRow(u.id, productId, `nested ${i}`, later()));
  await review()
    .deps.db.dataSource.getRepository(ReviewEntity)
    .insert([...older, ...newest]);
  // Authors 0, 1 and 2 get 12, 6 and 0 followers.
  const follows = [12, 6, 0].flatMap((count, a) =>
    followers
      .slice(0, count)
      .map((f) => ({ followerId: f.id, followeeId: authors[a]!.id, createdAt: later() })),
  );
  await social().deps.db.dataSource.getRepository(FollowEntity).insert(follows);

  type Author = {
    id: string;
    nickname: string;
    followers: { edges: Array<{ node: { nickname: string } }>; pageInfo: { hasNextPage: boolean } };
    reviews: { edges: Array<{ node: { body: string } }>; pageInfo: { hasNextPage: boolean } };
  };
  const cost = await measure<{ feed: { edges: Array<{ node: { author: Author } }> } }>(`{
    feed(tab: LATEST, first: 30) {
      edges { node { author { id nickname
        followers(first: 5) { edges { node { nickname } } pageInfo { hasNextPage } }
        reviews(first: 3) { edges { node { body } } pageInfo { hasNextPage } } } } }
    }
  }`);
  const page = cost.data.feed.edges.map((e) => e.node.author);
  expect(page.map((a) => a.id)).toEqual(authors.map((u) => u.id).reverse());
  // review: the feed page, then for all 30 authors one query of their pages (whole rows).
  expect(cost.reviewSql).toBe(2);
  // social: the 30 authors, then one query of follower pages and one batch of follower users.
  expect(cost.socialBatches).toBe(1);
  expect(cost.socialSql).toBe(3);

  // Every author got their own followers and reviews, newest first.
  /** The nicknames of the first `n` followers, newest follow first. */
  const fans = (n: number) =>
    followers
      .slice(0, n)
      .map((f) => f.nickname)
      .reverse();
  const byId = new Map(page.map((a) => [a.id, a]));
  const [a0, a1, a2] = authors.map((u) => byId.get(u.id)!);
  expect(a0!.followers.edges.map((e) => e.node.nickname)).toEqual(fans(12).slice(0, 5));
  expect(a0!.followers.pageInfo.hasNextPage).toBe(true);
  expect(a1!.followers.edges.map((e) => e.node.nickname)).toEqual(fans(6).slice(0, 5));
  expect(a1!.followers.pageInfo.hasNextPage).toBe(true);
  expect(a2!.followers).toEqual({ edges: [], pageInfo: { hasNextPage: false } });
  expect(a0!.reviews.edges.map((e) => e.node.body)).toEqual(['nested 0', 'older 4', 'older 3']);
  expect(a0!.reviews.pageInfo.hasNextPage).toBe(true);
  for (const [i, u] of authors.entries()) {
    if (i === 0) continue;
    const a = byId.get(u.id)!;
    expect(a.reviews).toEqual({
      edges: [{ node: { body: `nested ${i}` } }],
      pageInfo: { hasNextPage: false },
    });
  }
});

it('pages a user’s followers with first/after, newest first, each once', async () => {
  const [target] = await users('paged_target_', 1);
  const fans = await users('paged_fan_', 12);
  await social()
    .deps.db.dataSource.getRepository(FollowEntity)
    .insert(fans.map((f) => ({ followerId: f.id, followeeId: target!.id, createdAt: later() })));
  type Page = {
    user: {
      followers: {
        edges: Array<{ node: { id: string } }>;
        pageInfo: { hasNextPage: boolean; endCursor: string };
      };
    };
  };
  const seen: string[] = [];
  let after: string | null = null;
  let pages = 0;
  do {
    const res: Awaited<ReturnType<typeof graph.gql<Page>>> = await graph.gql<Page>(
      'query($id: ID!, $after: String) { user(id: $id) { followers(first: 5, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }',
      { id: target!.id, after },
    );
    seen.push(...res.data.user.followers.edges.map((e) => e.node.id));
    after = res.data.user.followers.pageInfo.hasNextPage ? res.data.user.followers.pageInfo.endCursor : null;
    pages++;
  } while (after);
  expect(seen).toEqual(fans.map((f) => f.id).reverse());
  expect(pages).toBe(3);
});

it('serves likeCount, viewerHasLiked and commentCount for a page of 50 reviews with one statement per field', async () => {
  const authors = await users('inter_', 50);
  const fans = await users('inter_fan_', 3);
  const viewer = await graph.signUp('inter_viewer');
  const productId = await product('Interaction product');
  const rows = authors.map((u, i) => reviewRow(u.id, productId, `interacted ${i}`, later()));
  await review().deps.db.dataSource.getRepository(ReviewEntity).insert(rows);
  // Review i gets i % 4 likes (the viewer's among them when i % 3 == 0) and i % 3 comments; every
  // fifth review also a deleted placeholder with a reply (counted: the reply, not the placeholder).
  const likes: Array<{ userId: string; targetId: string; createdAt: Date }> = [];
  const comments: Array<Record<string, unknown>> = [];
  const expected = new Map<string, { likeCount: number; viewerHasLiked: boolean; commentCount: number }>();
  const comment = (targetId: string, authorId: string, over: Record<string, unknown> = {}) => {
    const row = {
      id: newId(),
      targetId,
      parentId: null,
      authorId,
      body: 'hi',
      deletedAt: null,
      createdAt: later(),
      editedAt: null,
      ...over,
    };
    comments.push(row);
    return row.id;
  };
  rows.forEach((r, i) => {
    const likers = [...fans.map((f) => f.id), viewer.id].slice(0, i % 4);
    const viewerHasLiked = i % 3 === 0 && i % 4 > 0;
    if (viewerHasLiked) likers[0] = viewer.id;
    likes.push(...likers.map((userId) => ({ userId, targetId: r.id, createdAt: later() })));
    for (let c = 0; c < i % 3; c++) comment(r.id, fans[c]!.id);
    let commentCount = i % 3;
    if (i % 5 === 0) {
      const placeholder = comment(r.id, fans[0]!.id, { body: null, deletedAt: later() });
      comment(r.id, fans[1]!.id, { parentId: placeholder });
      commentCount += 1;
    }
    expected.set(r.id, { likeCount: likers.length, viewerHasLiked, commentCount });
  });
  const ds = social().deps.db.dataSource;
  await ds.getRepository('Like').insert(likes);
  await ds.getRepository('Comment').insert(comments);

  const cost = await measure<{
    feed: {
      edges: Array<{
        node: {
          id: string;
          likeCount: number;
          viewerHasLiked: boolean;
          commentCount: number;
          author: { nickname: string };
        };
      }>;
    };
  }>(
    '{ feed(tab: LATEST, first: 50) { edges { node { id likeCount viewerHasLiked commentCount author { nickname } } } } }',
    viewer.token,
  );

  const nodes = cost.data.feed.edges.map((e) => e.node);
  expect(nodes.map((n) => n.id)).toEqual(rows.map((r) => r.id).reverse());
  expect(nodes.map((n) => n.author.nickname)).toEqual(authors.map((u) => u.nickname).reverse());
  for (const { author: _, ...fields } of nodes)
    expect(fields).toEqual({ id: fields.id, ...expected.get(fields.id) });
  // Not a page of zeros: the rows above are really read.
  expect(nodes.filter((n) => n.viewerHasLiked).length).toBeGreaterThan(5);
  expect(nodes.some((n) => n.likeCount === 3) && nodes.some((n) => n.commentCount === 3)).toBe(true);
  // social: the planner asks for the Review fields and the User fields as two parallel
  // `_entities` operations, which the gateway sends as one batched request; one statement each
  // for likeCount, viewerHasLiked, commentCount and the users.
  expect(cost.socialCalls).toBe(1);
  expect(cost.socialBatches).toBe(2);
  expect(cost.socialSql).toBe(4);
  // review: the page only.
  expect(cost.reviewSql).toBe(1);
});
