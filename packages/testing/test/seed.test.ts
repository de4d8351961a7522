import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_LOGIN, DEMO_LOGIN, seedDemo } from '@moim/demo';
import { createLogger } from '@moim/kit';
import { eventually } from '@moim/kit/testing';
import { ProductEntity, ReviewEntity } from '@moim/review';
import { TargetEntity, UserEntity } from '@moim/social';
import { startGraph, type Graph } from '../src';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

const logger = createLogger('seed-test', 'silent');
const counts = async () => ({
  users: await graph.service('social').deps.db.dataSource.getRepository(UserEntity).count(),
  products: await graph.service('review').deps.db.dataSource.getRepository(ProductEntity).count(),
  reviews: await graph.service('review').deps.db.dataSource.getRepository(ReviewEntity).count(),
});

it('loads the NSMC sample through each service once: a FOLLOWING feed for the demo user, a popular tab for everyone', async () => {
  const result = await seedDemo(graph.services, logger);
  expect(result).toEqual({
    users: 58,
    follows: 10,
    posts: 4,
    comments: 6,
    places: 10,
    products: 150,
    reviews: 2616,
    universities: 2,
    // Purdue's CS page of summer 2021 (287 sections) and the UIUC summer 2025 CS, MATH and ECE rows (99 CRNs).
    sections: 287 + 99,
    'timetable sections': 3,
  });
  expect(await counts()).toEqual({ users: 58, products: 150, reviews: 2616 });
  expect(await seedDemo(graph.services, logger)).toBeNull(); // a second run changes nothing
  expect(await counts()).toEqual({ users: 58, products: 150, reviews: 2616 });

  const login = await graph.gql<{ logIn: { accessToken: string } }>(
    'mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }',
    { i: DEMO_LOGIN },
  );
  expect(login.errors).toBeUndefined();
  // The follows travel to review as events: wait for them, not for a fixed time.
  await graph.settled(90_000);
  const feed = await graph.gql<{
    feed: { edges: Array<{ node: { author: { nickname: string; viewerIsFollowing: boolean } } }> };
  }>(
    '{ feed(tab: FOLLOWING, first: 20) { edges { node { author { nickname viewerIsFollowing } } } } }',
    {},
    login.data.logIn.accessToken,
  );
  expect(feed.data.feed.edges).toHaveLength(20);
  expect(feed.data.feed.edges.every((e) => e.node.author.viewerIsFollowing)).toBe(true);

  // Two universities' catalogs, the demo user at Illinois with a summer timetable, and the
  // university's board showing its posts.
  const campus = await graph.gql<{
    universities: Array<{
      boardKey: string;
      terms: Array<{ id: string; code: string }>;
      posts: { edges: unknown[] };
    }>;
  }>('{ universities { boardKey terms { id code } posts { edges { node { id } } } } }');
  expect(
    campus.data.universities.map((u) => [u.boardKey, u.terms.map((t) => t.code), u.posts.edges.length]),
  ).toEqual([
    ['purdue', ['2021-su'], 0],
    ['uiuc', ['2025-su'], 2],
  ]);
  const summer = campus.data.universities[1]!.terms[0]!.id;
  const mine = await graph.gql<{
    me: { university: { boardKey: string }; timetable: { sections: Array<{ course: { code: string } }> } };
  }>(
    'query($t: ID!) { me { university { boardKey } timetable(termId: $t) { sections { course { code } } } } }',
    { t: summer },
    login.data.logIn.accessToken,
  );
  expect(mine.data.me.university.boardKey).toBe('uiuc');
  expect(mine.data.me.timetable.sections.map((s) => s.course.code)).toEqual(['CS 225', 'CS 374', 'MATH 257']);

  const admin = await graph.gql<{ logIn: { user: { role: string } } }>(
    'mutation($i: LogInInput!) { logIn(input: $i) { user { role } } }',
    { i: ADMIN_LOGIN },
  );
  expect(admin.data.logIn.user.role).toBe('ADMIN');

  // Every seeded review reached social's replica as a review.created event: all can be liked.
  const targets = graph.service('social').deps.db.dataSource.getRepository(TargetEntity);
  expect(await targets.countBy({ kind: 'REVIEW', state: 'VISIBLE' })).toBe(2616);
  const board = await graph.gql<{
    posts: { edges: Array<{ node: { title: string; commentCount: number; likeCount: number } }> };
  }>('{ posts(board: "general") { edges { node { title commentCount likeCount } } } }');
  expect(board.data.posts.edges.map((e) => e.node)).toEqual([
    { title: '여름 서브렛 구해요', commentCount: 1, likeCount: 1 },
    { title: '처음 왔어요 / New here', commentCount: 3, likeCount: 3 },
  ]);

  // The popular tab is there at once: the seed refreshed it from the demo's ratings. The demo user
  // has no history (trending); a reviewer has a list of their own, with reasons.
  const POPULAR =
    '{ feed(tab: POPULAR, first: 20) { edges { node { recommendationReason author { id } subject { ... on Product { id } } } } } }';
  type Popular = {
    feed: {
      edges: Array<{
        node: { recommendationReason: string; author: { id: string }; subject: { id: string } };
      }>;
    };
  };
  const trending = await graph.gql<Popular>(POPULAR, {}, login.data.logIn.accessToken);
  expect(trending.data.feed.edges).toHaveLength(20);
  expect(new Set(trending.data.feed.edges.map((e) => e.node.subject.id)).size).toBe(20);
  expect(trending.data.feed.edges.every((e) => e.node.recommendationReason === 'Trending now')).toBe(true);
  const reviewer = await graph.gql<{ logIn: { accessToken: string; user: { id: string } } }>(
    'mutation($i: LogInInput!) { logIn(input: $i) { accessToken user { id } } }',
    { i: { ...DEMO_LOGIN, email: 'reviewer1@demo.moim.dev' } },
  );
  const theirs = await graph.gql<Popular>(POPULAR, {}, reviewer.data.logIn.accessToken);
  expect(theirs.data.feed.edges).toHaveLength(20);
  expect(theirs.data.feed.edges[0]!.node.recommendationReason).toMatch(/^Liked by people who liked /);
  expect(theirs.data.feed.edges.some((e) => e.node.author.id === reviewer.data.logIn.user.id)).toBe(false);
}, 120_000);

/** The top hits' texts (a review's body, a place's or product's name) for `q`, once the demo is indexed. */
async function topTexts(q: string, first = 5): Promise<string[]> {
  const res = await graph.gql<{
    search: { edges: Array<{ node: { node: { body?: string; name?: string } | null } }> };
  }>(
    `query($q: String!, $first: Int) { search(query: $q, first: $first) { edges { node { node {
      ... on Review { body } ... on Place { name } ... on Product { name }
    } } } } }`,
    { q, first },
  );
  expect(res.errors).toBeUndefined();
  return res.data.search.edges.map((e) => e.node.node?.body ?? e.node.node?.name ?? '');
}

it('finds the demo reviews and places in Korean: without spaces, with them, by first syllables, by initial consonants', async () => {
  // The first test seeded this graph; search learns of it through events, then its poll.
  await graph.settled();
  await eventually(async () => (await topTexts('ㅅㅌㅂㅅ', 1)).length === 1);
  // Written with spaces, asked without them — and the reverse.
  expect((await topTexts('뒤죽박죽유쾌한대소동'))[0]).toBe(
    '한층 더 업그레이드 된 스케일, 여전한 뒤죽박죽 유쾌한 대소동!',
  );
  expect((await topTexts('아주 재미있게 보아서요'))[0]).toBe('아주재미있게보아서요');
  // The first syllables of a word find it.
  expect(await topTexts('고감도스릴')).toContain(
    '고감도스릴을선사하며 울프로변한 잭은영화샤이닝을연상케한다',
  );
  expect(await topTexts('비극적 결')).toContain('고소영의 매력이란... 비극적 결말이 넘 안타깝다.');
  // Initial consonants find names: both Starbucks, the one whose every word matches first.
  expect((await topTexts('ㅅㅌㅂㅅ', 2)).sort()).toEqual(['스타벅스 강남역점', '스타벅스 광화문점']);
  expect((await topTexts('ㅅㅌㅂㅅ ㄱㄴㅇ'))[0]).toBe('스타벅스 강남역점');
  expect((await topTexts('ㄱㅂㅁㄱ'))[0]).toBe('교보문고 광화문점');
  // Every word before some: the one review with both words leads the many with one.
  expect((await topTexts('음악이 작품성'))[0]).toBe('작품성을 따지지 않는다면 재밌는영화!음악이 좋았음^^');
  // Decoration does not get in the way: emoji, laughter and punctuation runs are dropped.
  expect((await topTexts('😂 뒤죽박죽 ㅋㅋㅋ 유쾌한!!! 대소동'))[0]).toBe(
    '한층 더 업그레이드 된 스케일, 여전한 뒤죽박죽 유쾌한 대소동!',
  );
});

it('finishes a seed that stopped between services, without duplicating what was there', async () => {
  // A fresh graph whose social part is seeded but whose review part is not, as after a crash.
  const partial = await startGraph();
  try {
    const { seed } = await import('@moim/social');
    const { loadDemoData } = await import('@moim/demo');
    await seed(partial.service('social').deps as never, await loadDemoData());
    const result = await seedDemo(partial.services, logger);
    expect(result).toEqual({
      places: 10,
      products: 150,
      reviews: 2616,
      universities: 2,
      sections: 386,
      'timetable sections': 3,
    });
  } finally {
    await partial.stop();
  }
}, 120_000);
