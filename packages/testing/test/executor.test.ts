import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '@moim/gateway';
import { postRaw, startGraph, type Account, type Graph } from '../src';

/**
 * The gateway's own executor (gateway/src/executor) against @apollo/gateway's, operation by
 * operation, on one graph: the same status and the same response body — data, errors with their
 * paths and codes, extensions — for queries over several subgraphs, aliases, fragments on unions,
 * @skip/@include, defaulted and invalid variables, introspection, a mutation, and subgraph errors
 * inside entities. GATEWAY_EXECUTOR=apollo is the way back; this test says it is never needed.
 */
let graph: Graph;
let apolloUrl: string;
let apolloGateway: Gateway;
/** Both executors again, with social behind a proxy that fails one user's entities. */
let failing: { moim: string; apollo: string };
/** Both again with a low cost limit (MAX_QUERY_COST=30): a known query refused for its variables. */
let limited: { moim: string; apollo: string; gateway: Gateway };
/** Moim's executor with GATEWAY_KNOWN_QUERIES=off. */
let plain: { url: string; gateway: Gateway };
let stub: Server;
let a: Account;
let b: Account;
let c: Account;
let aReview: string;
let bReviews: string[];
/** Searches for this finds every review and user of this file. */
const WORD = 'kimchiexec';

/**
 * A proxy to social that answers every `_entities` entry of `userId` with null and an error at
 * that entry (as a subgraph does when a non-null field of it fails).
 */
type Result = { data: { _entities: unknown[] }; errors?: unknown[] };

async function failingSocial(socialUrl: string, userId: () => string): Promise<string> {
  stub = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
    ) as Record<string, string>;
    const upstream = await fetch(socialUrl, { method: 'POST', headers, body });
    const requests = JSON.parse(body) as unknown;
    let answer = (await upstream.json()) as Result | Result[];
    const fail = (request: { variables?: { representations?: Array<{ id?: string }> } }, result: Result) => {
      request.variables?.representations?.forEach((rep, i) => {
        if (rep.id !== userId()) return;
        result.data._entities[i] = null;
        (result.errors ??= []).push({
          message: 'nickname unavailable',
          path: ['_entities', i, 'nickname'],
          extensions: { code: 'STUB_FAILURE' },
        });
      });
      return result;
    };
    answer = Array.isArray(requests)
      ? (answer as Result[]).map((result, i) => fail(requests[i] as never, result))
      : fail(requests as never, answer as Result);
    res.writeHead(upstream.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(stub.address() as AddressInfo).port}/graphql`;
}

beforeAll(async () => {
  graph = await startGraph();
  [a, b, c] = [await graph.person('execa'), await graph.person('execb'), await graph.person('execc')];
  aReview = await graph.reviewBy(a.token, `${WORD} from a`);
  bReviews = [];
  for (let i = 0; i < 3; i++) bReviews.push(await graph.reviewBy(b.token, `${WORD} number ${i} from b`));
  await graph.reviewBy(c.token, `${WORD} from c`);
  await graph.gql('mutation($id: ID!) { follow(userId: $id) { id } }', { id: b.id }, a.token);
  await graph.gql('mutation($id: ID!) { like(targetId: $id) { __typename } }', { id: bReviews[0] }, a.token);
  await graph.settled();
  ({ url: apolloUrl, gateway: apolloGateway } = await graph.anotherGateway({
    env: { GATEWAY_EXECUTOR: 'apollo' },
  }));
  const social = await failingSocial(graph.subgraphUrl('social'), () => b.id);
  failing = {
    moim: (await graph.anotherGateway({ urls: { social } })).url,
    apollo: (await graph.anotherGateway({ urls: { social }, env: { GATEWAY_EXECUTOR: 'apollo' } })).url,
  };
  plain = await graph.anotherGateway({ env: { GATEWAY_KNOWN_QUERIES: 'off' } });
  const limitedMoim = await graph.anotherGateway({ env: { MAX_QUERY_COST: '30' } });
  limited = {
    moim: limitedMoim.url,
    gateway: limitedMoim.gateway,
    apollo: (await graph.anotherGateway({ env: { MAX_QUERY_COST: '30', GATEWAY_EXECUTOR: 'apollo' } })).url,
  };
});
afterAll(async () => {
  await graph?.stop();
  stub?.close();
});

type Body = {
  data?: unknown;
  errors?: Array<{ message: string; path?: unknown[]; extensions?: Record<string, unknown> }>;
  extensions?: unknown;
};
/** The parts of a response a test reads, typed loosely: the comparison covers the rest. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const dataOf = (body: Body) => body.data as Loose;

async function post(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
  operationName?: string,
) {
  const res = await postRaw(
    url,
    JSON.stringify({ query, variables, operationName }),
    token ? { authorization: `Bearer ${token}` } : {},
  );
  return { status: res.status, body: res.json as Body };
}

/** The operation through both executors: the same answer, which is returned. */
async function same(
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
  urls = { moim: graph.url, apollo: apolloUrl },
  operationName?: string,
) {
  const moim = await post(urls.moim, query, variables, token, operationName);
  const apollo = await post(urls.apollo, query, variables, token, operationName);
  expect(moim).toEqual(apollo);
  return moim;
}

const Q2 = `{ feed(tab: LATEST, first: 20) { edges { node { id title rating author { nickname followerCount
  reviews(first: 3) { edges { node { id title } } } } } } } }`;

describe('the gateway executor answers as Apollo’s', () => {
  it('on the feed with authors and their reviews from two subgraphs, anonymous and logged in', async () => {
    const before = { moim: graph.gateway.executed(), apollo: apolloGateway.executed() };
    const { body } = await same(Q2);
    // Each ran it with its own executor (a comparison of Apollo's with itself would prove nothing).
    expect(graph.gateway.executed()).toEqual({ ...before.moim, moim: before.moim.moim + 1 });
    expect(apolloGateway.executed()).toEqual({ moim: 0, apollo: before.apollo.apollo + 1, known: 0 });
    const nodes = dataOf(body).feed.edges.map((e: Loose) => e.node);
    const byB = nodes.filter((n: Loose) => n.author.nickname === b.nickname);
    // Three reviews by one author: one representation for three entities, each merged.
    expect(byB).toHaveLength(3);
    expect(byB.every((n: Loose) => n.author.reviews.edges.length === 3)).toBe(true);
    const { body: followed } = await same(
      `{ feed(tab: FOLLOWING, first: 10) { edges { cursor node { id viewerHasLiked likeCount author { nickname isFollowedByMe: followerCount } } } } }`,
      undefined,
      a.token,
    );
    expect(dataOf(followed).feed.edges.map((e: Loose) => e.node.id)).toEqual([...bReviews].reverse());
  });

  it('on aliases, named and inline fragments, __typename, @skip/@include and defaulted variables', async () => {
    const query = `query Feed($n: Int = 5, $withAuthor: Boolean!, $noRating: Boolean = true) {
      __typename
      latest: feed(first: $n) { ...page }
      again: feed(first: 2) { edges { node { kind: __typename id rating @skip(if: $noRating) } } }
    }
    fragment page on ReviewConnection {
      edges { node { __typename ... on Review { id title } author @include(if: $withAuthor) { id ...who } } }
      pageInfo { hasNextPage endCursor }
    }
    fragment who on User { nickname name: nickname }`;
    const { body } = await same(query, { withAuthor: true });
    expect(dataOf(body).__typename).toBe('Query');
    expect(dataOf(body).latest.edges).toHaveLength(5);
    expect(dataOf(body).latest.edges[0].node.author.name).toBe(
      dataOf(body).latest.edges[0].node.author.nickname,
    );
    expect(dataOf(body).again.edges[0].node).toEqual({ kind: 'Review', id: expect.any(String) });
    const { body: without } = await same(query, { withAuthor: false, n: 1, noRating: false });
    expect(dataOf(without).latest.edges[0].node.author).toBeUndefined();
    expect(dataOf(without).again.edges[0].node.rating).toEqual(expect.any(Number));
  });

  it('on a union of entities from four subgraphs', async () => {
    await expect
      .poll(
        async () =>
          dataOf((await post(graph.url, `{ search(query: "${WORD}") { edges { cursor } } }`)).body)?.search
            .edges.length ?? 0,
        { timeout: 20_000 },
      )
      .toBeGreaterThanOrEqual(5);
    const { body } = await same(
      `query($q: String!) { search(query: $q, first: 20) { edges { node { score node {
      __typename
      ... on Review { id author { nickname } subject { ... on Product { name } ... on Place { name } } }
      ... on User { nickname followerCount }
      ... on Post { id }
    } } } } }`,
      { q: WORD },
    );
    const types = new Set(dataOf(body).search.edges.map((e: Loose) => e.node.node?.__typename));
    expect(types.has('Review')).toBe(true);
  });

  it('on a mutation answering a union, and on errors: a subgraph’s, invalid variables, a plan-free introspection', async () => {
    // Liking again is idempotent: both answer the same like.
    const like = `mutation($id: ID!) { like(targetId: $id) { __typename ... on Review { id likeCount viewerHasLiked author { nickname } } } }`;
    const { body: liked } = await same(like, { id: aReview }, c.token);
    expect(dataOf(liked).like).toMatchObject({
      __typename: 'Review',
      id: aReview,
      likeCount: 1,
      viewerHasLiked: true,
    });
    const { body: missing } = await same(
      `{ review(id: "nope") { id } chatRoom(id: "nope") { id } }`,
      undefined,
      a.token,
    );
    expect(missing.errors?.length).toBeGreaterThan(0);
    const { body: invalid } = await same(`query($n: Int!) { feed(first: $n) { edges { node { id } } } }`, {
      n: 'ten',
    });
    expect(invalid.errors?.[0]?.message).toMatch(/\$n/);
    const apolloBefore = graph.gateway.executed().apollo;
    const { body: introspected } = await same(
      `{ __typename __type(name: "Review") { name fields { name } } }`,
    );
    expect(graph.gateway.executed().apollo).toBe(apolloBefore + 1); // introspection: Apollo's
    expect(dataOf(introspected).__type.name).toBe('Review');
    await same(
      `query One { me { id } } query Two { feed(first: 1) { edges { node { id } } } }`,
      undefined,
      a.token,
      undefined,
      'Two',
    );
  });

  it('when a subgraph fails some entities: errors under each entity that shared the representation, nulls bubbled alike', async () => {
    const { body } = await same(
      `{ feed(tab: LATEST, first: 20) { edges { node { id author { nickname } } } } }`,
      undefined,
      undefined,
      failing,
    );
    // author is non-null, so is node: the failed nickname nulls the whole (nullable) feed … or
    // whatever Apollo does; the same in both. Three of b's reviews: three errors.
    const failed = (body.errors ?? []).filter((e) => e.extensions?.code === 'STUB_FAILURE');
    expect(failed).toHaveLength(3);
    expect(new Set(failed.map((e) => JSON.stringify(e.path))).size).toBe(3);
    expect(failed[0]!.extensions?.serviceName).toBe('social');
  });
});

/** Status, content type and the exact bytes of the body. */
async function ask(
  url: string,
  query: string,
  options: { variables?: unknown; operationName?: string; token?: string; accept?: string } = {},
) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.accept ? { accept: options.accept } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: JSON.stringify({ query, variables: options.variables, operationName: options.operationName }),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}
const parsed = (answer: Awaited<ReturnType<typeof ask>>) => ({
  ...answer,
  text: JSON.parse(answer.text) as unknown,
});
const known = () => graph.gateway.executed().known;

describe('known queries (gateway/src/known-queries.ts)', () => {
  it('answer a query Apollo Server ran before without its pipeline: the same status, content type and bytes', async () => {
    const corpus: Array<{ query: string } & Parameters<typeof ask>[2]> = [
      { query: Q2 },
      { query: Q2, token: a.token },
      { query: Q2, accept: 'application/graphql-response+json' },
      {
        // @include on a field of the same fetch (on one that needs a fetch of its own, the plan
        // has a condition node: Apollo's executor runs it, and it is never known).
        query: `query Feed($n: Int = 5, $withTitle: Boolean!) {
          latest: feed(first: $n) { edges { node { id title @include(if: $withTitle) author { nickname } } } } }`,
        variables: { withTitle: false },
      },
      {
        query: `query One { me { id nickname } } query Two { feed(first: 1) { edges { node { id } } } }`,
        operationName: 'One',
        token: a.token,
      },
    ];
    const metric = async () => {
      const text = await (await fetch(new URL('/metrics', graph.url))).text();
      return Number(/gateway_operation_answers_total\{pipeline="known"[^}]*\} (\d+)/.exec(text)?.[1]);
    };
    const counted = await metric();
    for (const [i, { query: text, ...options }] of corpus.entries()) {
      const query = `${text} # corpus ${i}`; // a document of its own: Apollo Server runs it first
      const first = await ask(graph.url, query, options);
      const before = known();
      expect(before).toBe(counted + i);
      const second = await ask(graph.url, query, options);
      expect(known()).toBe(before + 1);
      expect(second).toEqual(first);
      expect(second.status).toBe(200);
      // The same bytes as Apollo Server with Apollo's executor.
      expect(second).toEqual(await ask(apolloUrl, query, options));
    }
    expect(await metric()).toBe(counted + corpus.length);
    // GATEWAY_KNOWN_QUERIES=off: every request through Apollo Server, with the same answer.
    const ran = plain.gateway.executed();
    for (let i = 0; i < 2; i++) expect(await ask(plain.url, Q2)).toEqual(await ask(graph.url, Q2));
    expect(plain.gateway.executed()).toEqual({ ...ran, moim: ran.moim + 2 });
    // The other operation of the same document is a document of its own until Apollo Server ran it.
    const two = { operationName: 'Two', token: a.token };
    const doc = `query One { me { id nickname } } query Two { feed(first: 1) { edges { node { id } } } }`;
    const before = known();
    expect(JSON.parse((await ask(graph.url, doc, two)).text).data.feed.edges).toHaveLength(1);
    expect(known()).toBe(before);
  });

  it('hand to Apollo Server what they would not answer whole: bad variables, limits, a refused token, errors, mutations', async () => {
    const query = `query($n: Int!) { feed(first: $n) { edges { node { id } } } }`;
    const knownLimited = limited.gateway.executed().known;
    for (const url of [graph.url, limited.moim]) {
      await ask(url, query, { variables: { n: 2 } });
      await ask(url, query, { variables: { n: 2 } });
    }
    expect(limited.gateway.executed().known).toBe(knownLimited + 1);
    const before = known();
    const invalid = await ask(graph.url, query, { variables: { n: 'ten' } });
    expect(parsed(invalid)).toEqual(parsed(await ask(apolloUrl, query, { variables: { n: 'ten' } })));
    expect(invalid.text).toMatch(/\$n/);
    const refused = await ask(graph.url, query, { variables: { n: 2 }, token: 'not-a-token' });
    expect(refused.status).toBe(401);
    expect(parsed(refused)).toEqual(
      parsed(await ask(apolloUrl, query, { variables: { n: 2 }, token: 'not-a-token' })),
    );
    const costly = await ask(limited.moim, query, { variables: { n: 40 } });
    expect(costly.text).toMatch(/the limit is 30/);
    expect(parsed(costly)).toEqual(parsed(await ask(limited.apollo, query, { variables: { n: 40 } })));
    expect(limited.gateway.executed().known).toBe(knownLimited + 1);
    // A known query that fails is run once: Apollo Server answers with what already ran.
    const review = `query($id: ID!) { review(id: $id) { id title author { nickname } } }`;
    await ask(graph.url, review, { variables: { id: aReview } });
    await ask(graph.url, review, { variables: { id: aReview } });
    const ran = graph.gateway.executed();
    const gone = await ask(graph.url, review, { variables: { id: 'nope' } });
    expect(graph.gateway.executed()).toEqual({ ...ran, moim: ran.moim + 1 });
    expect(JSON.parse(gone.text).errors.length).toBeGreaterThan(0);
    expect(parsed(gone)).toEqual(parsed(await ask(apolloUrl, review, { variables: { id: 'nope' } })));
    // Errors are never known, nor answered on the known path.
    const missing = `{ review(id: "nope") { id } }`;
    for (let i = 0; i < 2; i++) {
      const answer = await ask(graph.url, missing);
      expect(JSON.parse(answer.text).errors.length).toBeGreaterThan(0);
      expect(parsed(answer)).toEqual(parsed(await ask(apolloUrl, missing)));
    }
    // A mutation (liking again is idempotent) always goes through Apollo Server.
    const like = `mutation($id: ID!) { like(targetId: $id) { __typename } }`;
    for (let i = 0; i < 2; i++) await ask(graph.url, like, { variables: { id: aReview }, token: c.token });
    expect(known()).toBe(before + 1); // the review, once
  });
});
