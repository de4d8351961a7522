import { afterAll, beforeAll, expect, it } from 'vitest';
import { refreshPopular, type ReviewDeps } from '@moim/review';
import { ok, startGraph, type Account, type Graph } from '../src';

// The popular tab through the gateway: likes and unlikes made with `like`/`unlike` reach review
// as events, and the next refresh ranks by them; the reason names what the viewer liked.
let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

const refresh = () => refreshPopular(graph.service<ReviewDeps>('review').deps);

const POPULAR = `query($first: Int, $after: String) {
  feed(tab: POPULAR, first: $first, after: $after) {
    edges { node { id recommendationReason author { nickname } subject { ... on Product { name } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
interface Popular {
  feed: {
    edges: Array<{
      node: {
        id: string;
        recommendationReason: string | null;
        author: { nickname: string };
        subject: { name: string };
      };
    }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}
const popular = async (token?: string, first = 20) =>
  ok(await graph.gql<Popular>(POPULAR, { first }, token)).feed;

const react = async (name: 'like' | 'unlike', who: Account, reviewId: string) =>
  ok(
    await graph.gql(
      `mutation($id: ID!) { ${name}(targetId: $id) { __typename } }`,
      { id: reviewId },
      who.token,
    ),
  );

it('ranks by the likes made through the gateway at the next refresh, and says why', async () => {
  const [viewer, f1, f2, f3, f4, g1, g2, g3, anchorAuthor, bAuthor, cAuthor] = await Promise.all(
    ['viewer', 'fan', 'fan', 'fan', 'fan', 'other', 'other', 'other', 'author', 'author', 'author'].map((p) =>
      graph.person(`pop_${p}`),
    ),
  );
  const [anchor, b, c] = await Promise.all(
    [anchorAuthor!, bAuthor!, cAuthor!].map((a, i) => graph.reviewBy(a.token, `popular ${i}`)),
  );
  // Three fans like the anchor and B, one the anchor and C; the viewer likes the anchor. Three
  // others like B alone: B stays the more liked of the two throughout.
  for (const fan of [f1!, f2!, f3!]) for (const id of [anchor!, b!]) await react('like', fan, id);
  for (const id of [anchor!, c!]) await react('like', f4!, id);
  for (const other of [g1!, g2!, g3!]) await react('like', other, b!);
  await react('like', viewer!, anchor!);
  await graph.settled();
  await refresh();

  const first = await popular(viewer!.token);
  const anchorName = ok(
    await graph.gql<{ review: { subject: { name: string } } }>(
      'query($id: ID!) { review(id: $id) { subject { ... on Product { name } } } }',
      { id: anchor },
    ),
  ).review.subject.name;
  expect(first.edges.map((e) => e.node.id).slice(0, 2)).toEqual([b, c]);
  expect(first.edges[0]!.node.recommendationReason).toBe(`Liked by people who liked ${anchorName}`);
  expect(first.edges.map((e) => e.node.id)).not.toContain(anchor);
  // Page by page through the gateway: the same list, one review per product.
  const paged: string[] = [];
  for (let after: string | null = null; ;) {
    const page: Popular['feed'] = ok(
      await graph.gql<Popular>(POPULAR, { first: 1, after }, viewer!.token),
    ).feed;
    paged.push(...page.edges.map((e) => e.node.id));
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  expect(paged).toEqual(first.edges.map((e) => e.node.id));

  // Two fans change their minds: from B to C. Nothing moves until the next refresh.
  for (const fan of [f1!, f2!]) {
    await react('unlike', fan, b!);
    await react('like', fan, c!);
  }
  await graph.settled();
  expect((await popular(viewer!.token)).edges.map((e) => e.node.id).slice(0, 2)).toEqual([b, c]);
  await refresh();
  // Taste, not popularity: C (liked by three who liked the anchor) before B (liked by four, one
  // of whom liked the anchor).
  expect((await popular(viewer!.token)).edges.map((e) => e.node.id).slice(0, 2)).toEqual([c, b]);
  const likes = ok(
    await graph.gql<{ b: { likeCount: number }; c: { likeCount: number } }>(
      'query($b: ID!, $c: ID!) { b: review(id: $b) { likeCount } c: review(id: $c) { likeCount } }',
      { b, c },
    ),
  );
  expect(likes).toEqual({ b: { likeCount: 4 }, c: { likeCount: 3 } });

  // Anonymous viewers get the trending list, most engaging first (the anchor, liked five times).
  const anonymous = await popular();
  expect(anonymous.edges[0]!.node).toMatchObject({ id: anchor, recommendationReason: 'Trending now' });
  // The same reviews elsewhere carry no reason.
  const latest = ok(
    await graph.gql<{ feed: { edges: Array<{ node: { recommendationReason: string | null } }> } }>(
      '{ feed(tab: LATEST, first: 5) { edges { node { recommendationReason } } } }',
    ),
  );
  expect(latest.feed.edges.every((e) => e.node.recommendationReason === null)).toBe(true);
});

it('costs review the same statements for a page of one and a page of twenty', async () => {
  const authors = await Promise.all(Array.from({ length: 6 }, () => graph.person('pop_many')));
  await Promise.all(authors.map((a, i) => graph.reviewBy(a.token, `many ${i}`)));
  await graph.settled();
  await refresh();
  const review = graph.service('review');
  const cost = async (first: number, token?: string) => {
    await graph.settled();
    const before = review.deps.db.queryCount();
    const page = await popular(token, first);
    return { statements: review.deps.db.queryCount() - before, shown: page.edges.length };
  };
  const one = await cost(1);
  const many = await cost(20);
  expect(many.shown).toBeGreaterThan(6);
  // The run, the page, the products (subjects and reasons) in one batch.
  expect(many.statements).toBe(one.statements);
  expect(many.statements).toBeLessThanOrEqual(3);
  const viewer = await cost(20, authors[0]!.token);
  expect(viewer.statements).toBeLessThanOrEqual(3);
});

it('refuses bad input clearly', async () => {
  // The gateway refuses what no page issued; review, a cursor of another list (LATEST's).
  const bad = await graph.gql(POPULAR, { first: 5, after: 'not-a-cursor' });
  expect(bad.errors?.[0]).toMatchObject({
    message: 'after is not a valid cursor',
    extensions: { code: 'BAD_USER_INPUT' },
  });
  const latest = ok(
    await graph.gql<{ feed: { pageInfo: { endCursor: string } } }>(
      '{ feed(first: 1) { pageInfo { endCursor } } }',
    ),
  ).feed.pageInfo.endCursor;
  const other = await graph.gql(POPULAR, { first: 5, after: latest });
  expect(other.errors?.[0]).toMatchObject({
    message: 'after is not a cursor of the popular tab',
    extensions: { code: 'BAD_USER_INPUT' },
  });
  // Another viewer's cursor (a cursor the gateway accepts: the form is right).
  const [ana, ben] = await Promise.all([graph.person('pop_ana'), graph.person('pop_ben')]);
  await graph.reviewBy(ana.token, 'ana reviews');
  await graph.settled();
  await refresh();
  const anas = (await popular(ana.token, 1)).pageInfo.endCursor;
  const stolen = await graph.gql(POPULAR, { first: 5, after: anas }, ben.token);
  expect(stolen.errors?.[0]).toMatchObject({
    message: 'after is a cursor of another viewer’s feed',
    extensions: { code: 'BAD_USER_INPUT' },
  });
  const tooMany = await graph.gql(POPULAR, { first: 500 });
  expect(tooMany.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
});
