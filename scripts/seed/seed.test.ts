import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '@moim/kit';
import { eventually } from '@moim/kit/testing';
import { startGraph, type Graph } from '../../gateway/test/harness';
import { DEMO_LOGIN, demoFollowsApplied, seedDemo } from './seed';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

it('loads the NSMC sample once and gives the demo user a FOLLOWING feed', async () => {
  const logger = createLogger('seed-test', 'silent');
  const result = await seedDemo(graph.social, graph.review, logger);
  expect(result).toMatchObject({ reviews: 2616, products: 150, follows: 10 });
  expect(await seedDemo(graph.social, graph.review, logger)).toBeNull(); // a second run changes nothing

  const login = await graph.gql<{ logIn: { accessToken: string } }>(
    'mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }',
    { i: DEMO_LOGIN },
  );
  expect(login.errors).toBeUndefined();
  await eventually(async () => (await demoFollowsApplied(graph.social, graph.review)) === 10);
  const feed = await graph.gql<{
    feed: { edges: Array<{ node: { author: { nickname: string; viewerIsFollowing: boolean } } }> };
  }>(
    '{ feed(tab: FOLLOWING, first: 20) { edges { node { author { nickname viewerIsFollowing } } } } }',
    {},
    login.data.logIn.accessToken,
  );
  expect(feed.data.feed.edges).toHaveLength(20);
  expect(feed.data.feed.edges.every((e) => e.node.author.viewerIsFollowing)).toBe(true);
});
