import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlaceEntity, ProductEntity } from '@moim/review';
import { postRaw, startGraph, type Graph, type GqlResult } from '../src';

// What the gateway accepts and what it tells clients: limits measured on every operation
// (introspection too), documents refused before parsing, page arguments checked at the edge,
// one code and status per class of error, and no internals in production answers.

let graph: Graph;
let token: string;
/** A subgraph that fails every call, and says things a client must not see. */
let broken: Server;
let brokenUrl: string;

beforeAll(async () => {
  graph = await startGraph();
  token = (await graph.signUp('edgy')).token;
  broken = createServer((req, res) => {
    req.resume();
    res.statusCode = 502;
    res.end('upstream review-db-7 refused: password authentication failed');
  });
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}/graphql`;
});
afterAll(async () => {
  broken?.close();
  await graph?.stop();
});

/** Another gateway in front of the graph's subgraphs, with `env` on top (e.g. NODE_ENV, a subgraph URL). */
async function gatewayWith(env: Record<string, string>): Promise<string> {
  const { SUBGRAPH_REVIEW_URL, ...rest } = env;
  return (
    await graph.anotherGateway({
      urls: SUBGRAPH_REVIEW_URL ? { review: SUBGRAPH_REVIEW_URL } : {},
      env: rest,
    })
  ).url;
}

const post = postRaw;
const body = (query: string, variables?: Record<string, unknown>, extensions?: Record<string, unknown>) =>
  JSON.stringify({ query, variables, extensions });
const codeOf = (res: GqlResult<unknown>) => res.errors?.[0]?.extensions?.code;
const review = () => graph.service('review');

describe('errors in production (finding 3)', () => {
  it('masks which subgraph failed, its URL, status and body, keeping the code', async () => {
    const production = await gatewayWith({ NODE_ENV: 'production', SUBGRAPH_REVIEW_URL: brokenUrl });
    const res = await post(production, body('{ feed { edges { cursor } } }'));
    expect(res.status).toBe(200);
    expect(res.json?.errors).toEqual([
      { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    expect(res.text).not.toMatch(/127\.0\.0\.1|502|review|upstream|serviceName/);

    // development (and tests) keep the details
    const development = await gatewayWith({ NODE_ENV: 'development', SUBGRAPH_REVIEW_URL: brokenUrl });
    const detailed = await post(development, body('{ feed { edges { cursor } } }'));
    expect(detailed.json?.errors?.[0]?.extensions).toMatchObject({
      response: { url: brokenUrl, status: 502, body: expect.stringMatching(/upstream/) },
    });
  });

  it('keeps what a client needs of the errors it caused, without the subgraph’s name', async () => {
    const production = await gatewayWith({ NODE_ENV: 'production' });
    const res = await post(production, body('{ user(id: "not-an-id") { id } }'));
    expect(res.json?.errors?.[0]).toEqual({
      message: 'id is not a valid ID',
      path: ['user'],
      extensions: { code: 'BAD_USER_INPUT', field: 'id' },
    });
  });

  it('gives no schema suggestions in production; development does', async () => {
    const production = await gatewayWith({ NODE_ENV: 'production' });
    const hidden = await post(production, body('{ mee { id } }'));
    expect(hidden.status).toBe(400);
    expect(hidden.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(hidden.json?.errors?.[0]?.message).toBe('Cannot query field "mee" on type "Query".');
    const enumValue = await post(
      production,
      body('query($tab: FeedTab!) { feed(tab: $tab) { edges { cursor } } }', { tab: 'LATES' }),
    );
    expect(enumValue.status).toBe(400);
    expect(enumValue.code).toBe('BAD_USER_INPUT');
    expect(enumValue.text).not.toMatch(/Did you mean/);
    const shown = await graph.gql('{ mee { id } }');
    expect(shown.errors?.[0]?.message).toMatch(/Did you mean "me"/);
    const shownValue = await graph.gql('query($tab: FeedTab!) { feed(tab: $tab) { edges { cursor } } }', {
      tab: 'LATES',
    });
    expect(shownValue.errors?.[0]?.message).toMatch(/Did you mean the enum value "LATEST"/);
  });
});

describe('introspection and documents too large to parse (finding 7)', () => {
  it('still answers the explorer’s introspection query', async () => {
    const res = await graph.gql<{ __schema: { types: unknown[] } }>(getIntrospectionQuery());
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data.__schema.types.length).toBeGreaterThan(10);
  });

  it('in production describes the schema to admins only (the console explorer), and nothing to others', async () => {
    const production = await gatewayWith({ NODE_ENV: 'production' });
    const introspection = body(getIntrospectionQuery());
    const user = await graph.person('introuser');
    const admin = await graph.person('introadmin');
    const adminToken = await graph.makeAdmin(admin.id);
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

    for (const headers of [{}, bearer(user.token)]) {
      const refused = await post(production, introspection, headers);
      expect(refused.status).toBe(403);
      expect(refused.code).toBe('FORBIDDEN');
      expect(refused.json?.data).toBeUndefined();
      const typeOnly = await post(production, body('{ __type(name: "Review") { name } }'), headers);
      expect(typeOnly.code).toBe('FORBIDDEN');
    }
    const allowed = await post(production, introspection, bearer(adminToken));
    expect(allowed.status).toBe(200);
    expect((allowed.json?.data as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(
      10,
    );
    // __typename is not introspection: every client asks for it.
    const typename = await post(production, body('{ __typename }'));
    expect(typename.json?.data).toEqual({ __typename: 'Query' });
  });

  it('measures introspection-only operations like any other', async () => {
    // graphql-js refuses fields { type { fields … } } nested three deep; aliases of the explorer's
    // own query are what the cost must catch (old gateways answered any number of them)
    const standard = getIntrospectionQuery();
    const fragments = standard.slice(standard.indexOf('fragment FullType'));
    const schemas = Array.from({ length: 20 }, (_, i) => `s${i}: __schema { types { ...FullType } }`);
    const wide = await graph.gql(`{ ${schemas.join(' ')} } ${fragments}`);
    expect(wide.status).toBe(400);
    expect(codeOf(wide)).toBe('BAD_USER_INPUT');
    expect(wide.errors?.[0]?.message).toMatch(/could return about \d+ objects; the limit is 25000/);

    const aliased = await graph.gql(
      `{ ${Array.from({ length: 31 }, (_, i) => `t${i}: __typename`).join(' ')} }`,
    );
    expect(aliased.status).toBe(400);
    expect(aliased.errors?.[0]?.message).toMatch(/31 aliases; the limit is 30/);
  });

  it('refuses a sub-megabyte document of 300,000 fields or 30,000 fragments before parsing it', async () => {
    const fields = `{${' a'.repeat(300_000)} }`;
    const fragments = `{ me { ...f0 } }${Array.from({ length: 30_000 }, (_, i) => `fragment f${i} on User{id}`).join('')}`;
    for (const query of [fields, fragments]) {
      expect(body(query).length).toBeLessThan(1_000_000);
      const res = await post(graph.url, body(query));
      expect(res.status).toBe(400);
      expect(res.json?.errors).toEqual([
        {
          message: 'Query has more than 15000 tokens; the limit is 15000',
          extensions: { code: 'BAD_USER_INPUT' },
        },
      ]);
    }
  });
});

describe('aliases and arguments of list fields (finding 8)', () => {
  const pages = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `p${i}: feed(tab: LATEST, first: ${i + 1}) { edges { node { id author { nickname } } } }`).join(' ')} }`;

  it('refuses 30 pages of the feed in one request before a single SQL statement runs', async () => {
    await graph.settled();
    const before = review().deps.db.queryCount();
    const res = await graph.gql(pages(30));
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/asks for 30 lists .*Query\.feed 30 times.*the limit is 10/);
    expect(review().deps.db.queryCount()).toBe(before);
  });

  it('serves as many as the limit', async () => {
    const res = await graph.gql(pages(10));
    expect(res.errors).toBeUndefined();
  });
});

describe('bad input, one code and status each (finding 9)', () => {
  const FEED =
    'query($first: Int, $after: String) { feed(tab: LATEST, first: $first, after: $after) { edges { cursor } } }';
  const ID = '0190a8c2-7f3e-7c1a-9b2d-3e4f5a6b7c8d';
  const cursorAt = (ms: number | string) => Buffer.from(`${ms}:${ID}`).toString('base64url');

  it('refuses first: 0 and -1 with 400 like first: 101, at any depth', async () => {
    for (const first of [0, -1, 101]) {
      const res = await graph.gql(FEED, { first });
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    }
    const nested = await graph.gql('{ me { followers(first: -1) { edges { cursor } } } }', {}, token);
    expect(nested.status).toBe(400);
    expect(nested.errors?.[0]?.message).toBe('first on followers must be between 1 and 100');
  });

  it('refuses cursors with absurd times instead of serving an empty page', async () => {
    for (const ms of [-5, 0, Date.UTC(1989, 0, 1), 8.64e15, 'Infinity']) {
      const res = await graph.gql(FEED, { first: 5, after: cursorAt(ms) });
      expect(res.status).toBe(400);
      expect(res.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
    }
    const fine = await graph.gql(FEED, { first: 5, after: cursorAt(Date.now()) });
    expect(fine.errors).toBeUndefined();
  });

  it('answers a persisted-query hash with a clear client error: persisted queries are off', async () => {
    const wrong = await post(
      graph.url,
      body('{ __typename }', undefined, { persistedQuery: { version: 1, sha256Hash: 'deadbeef' } }),
    );
    const unknown = await post(
      graph.url,
      JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } }),
    );
    for (const res of [wrong, unknown]) {
      expect(res.status).toBe(400);
      expect(res.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    }
  });

  it('refuses deep nesting with 400 BAD_USER_INPUT, never a stack overflow', async () => {
    const selections = `{${'a{'.repeat(3000)}b${'}'.repeat(3001)}`;
    const lists = `{ feed(after: ${'['.repeat(5000)}${']'.repeat(5000)}) { edges { cursor } } }`;
    for (const query of [selections, lists]) {
      const res = await post(graph.url, body(query));
      expect(res.status).toBe(400);
      expect(res.json?.errors).toEqual([
        {
          message: 'Query nests braces or brackets more than 100 levels deep',
          extensions: { code: 'BAD_USER_INPUT' },
        },
      ]);
    }
    // deep JSON in a variable is coerced, and refused, without recursion trouble
    const deepVariable = `{"query":${JSON.stringify(FEED)},"variables":{"after":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const res = await post(graph.url, deepVariable);
    expect(res.status).toBe(400);
    expect(res.code).toBe('BAD_USER_INPUT');
  });

  it('limits URLs by the form they are stored in, and writes nothing', async () => {
    const url = `https://example.com/${'한'.repeat(280)}`; // 300 characters, 2,540 once encoded
    const place = await graph.gql(
      'mutation($input: CreatePlaceInput!) { createPlace(input: $input) { id } }',
      { input: { name: 'Long URL cafe', category: 'cafe', externalUrl: url } },
      token,
    );
    expect(place.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'externalUrl' });
    const product = await graph.gql(
      'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input: { name: 'Long URL snack', category: 'snack', purchaseUrl: url } },
      token,
    );
    expect(product.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'purchaseUrl' });
    const db = review().deps.db.dataSource;
    expect(await db.getRepository(PlaceEntity).countBy({ name: 'Long URL cafe' })).toBe(0);
    expect(await db.getRepository(ProductEntity).countBy({ name: 'Long URL snack' })).toBe(0);
  });

  it('answers each class of error with its documented code and status', async () => {
    const gql = (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) =>
      post(graph.url, body(query, variables), headers);
    const auth = { authorization: `Bearer ${token}` };
    const missing = '00000000-0000-4000-8000-000000000000';
    const cases: Array<[string, Promise<{ status: number; code: unknown }>, number, string | undefined]> = [
      ['malformed JSON', post(graph.url, '{"query": '), 400, undefined],
      ['invalid UTF-8', post(graph.url, Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])), 400, undefined],
      ['bad query syntax', gql('{ me { '), 400, 'GRAPHQL_PARSE_FAILED'],
      ['unknown field', gql('{ mee }'), 400, 'GRAPHQL_VALIDATION_FAILED'],
      [
        'unknown operation name',
        post(graph.url, JSON.stringify({ query: 'query A { __typename }', operationName: 'B' })),
        400,
        'OPERATION_RESOLUTION_FAILURE',
      ],
      [
        'limits',
        gql(`{ me { ${'followers { edges { node { '.repeat(4)}id${' } } }'.repeat(4)} } }`),
        400,
        'BAD_USER_INPUT',
      ],
      ['bad variables', gql(FEED, { first: 'ten' }), 400, 'BAD_USER_INPUT'],
      ['BAD_USER_INPUT from a resolver', gql('{ user(id: "nope") { id } }'), 200, 'BAD_USER_INPUT'],
      [
        'invalid access token',
        gql('{ me { id } }', {}, { authorization: 'Bearer nope' }),
        401,
        'UNAUTHENTICATED',
      ],
      [
        'not logged in',
        gql('mutation { createPlace(input: { name: "x", category: "cafe" }) { id } }'),
        200,
        'UNAUTHENTICATED',
      ],
      ['FORBIDDEN', gql(`mutation { hideReview(id: "${missing}") { id } }`, {}, auth), 200, 'FORBIDDEN'],
      ['NOT_FOUND', gql(`mutation { deleteReview(id: "${missing}") }`, {}, auth), 200, 'NOT_FOUND'],
      [
        'persisted query',
        post(graph.url, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } })),
        400,
        'PERSISTED_QUERY_NOT_SUPPORTED',
      ],
      [
        'body over 1 MB',
        post(graph.url, `{"query":"${' '.repeat(1_100_000)}{ __typename }"}`),
        413,
        undefined,
      ],
    ];
    for (const [name, answer, status, code] of cases) {
      const res = await answer;
      expect({ name, status: res.status, code: res.code }).toEqual({ name, status, code });
    }
  });

  it('answers RATE_LIMITED with 200 and the seconds to wait', async () => {
    const u = await graph.signUp('limited');
    const attempt = () =>
      graph.gql(
        'mutation($e: String!) { logIn(input: { email: $e, password: "wrong-password" }) { accessToken } }',
        {
          e: u.email,
        },
      );
    let res = await attempt();
    for (let i = 0; i < 10 && codeOf(res) !== 'RATE_LIMITED'; i++) res = await attempt();
    expect(res.status).toBe(200);
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: expect.any(Number),
    });
  });
});
