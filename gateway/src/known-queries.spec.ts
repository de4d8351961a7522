import { HeaderMap, type HTTPGraphQLRequest } from '@apollo/server';
import type { GatewayExecutionResult, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { buildSchema, getOperationAST, GraphQLError, parse, type GraphQLSchema } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { knownQueries } from './known-queries';

const schema = buildSchema(
  'type Query { a(n: Int): Int, b: B } type B { c: B, d: Int } type Mutation { m: Int }',
);
const QUERY = '{ a }';
const limits = { maxDepth: 3, maxAliases: 5, maxCost: 100, maxListBatches: 5 };
type Ctx = { logger: object; who: string };

/**
 * Apollo Server as far as the known path meets it: it makes the context, has the gateway's
 * executor run the operation it resolved (on `on`, the schema it validated against) and answers
 * with `status`.
 */
function fakeApollo(
  executor: (rc: GatewayGraphQLRequestContext) => Promise<GatewayExecutionResult>,
  options: { status?: number; on?: () => GraphQLSchema } = {},
  /** The contexts it was given. */
  seen: Ctx[] = [],
) {
  return vi.fn(async (args: { httpGraphQLRequest: HTTPGraphQLRequest; context: () => Promise<Ctx> }) => {
    if (args.httpGraphQLRequest.method === 'GET') {
      const html = new HeaderMap([['content-type', 'text/html']]);
      return { status: 200, headers: html, body: { kind: 'complete' as const, string: 'landing page' } };
    }
    const headers = new HeaderMap([['content-type', 'application/json; charset=utf-8']]);
    let context: Ctx;
    try {
      context = await args.context();
      seen.push(context);
    } catch (err) {
      return {
        status: 401,
        headers,
        body: { kind: 'complete' as const, string: `apollo refused: ${(err as Error).message}` },
      };
    }
    const { query, operationName } = args.httpGraphQLRequest.body as {
      query: string;
      operationName?: string;
    };
    const document = parse(query);
    const operation = getOperationAST(document, operationName);
    if (!operation)
      return {
        status: 400,
        headers,
        body: { kind: 'complete' as const, string: 'apollo: no such operation' },
      };
    const requestContext = {
      request: { query, operationName },
      document,
      operation,
      operationName: operation.name?.value ?? null,
      queryHash: `hash of ${query}`,
      schema: options.on?.() ?? schema,
      context,
    } as unknown as GatewayGraphQLRequestContext;
    let answer: string;
    try {
      answer = JSON.stringify(await executor(requestContext));
    } catch (err) {
      answer = `threw ${(err as Error).message}`;
    }
    return {
      status: options.status ?? 200,
      headers,
      body: { kind: 'complete' as const, string: `apollo ${answer}` },
    };
  });
}

function setup(
  options: { answer?: () => Promise<GatewayExecutionResult>; ranItself?: boolean; status?: number } = {},
) {
  const execute = vi.fn(options.answer ?? (async () => ({ data: { a: 1 } })));
  const logOperation = vi.fn();
  const known = knownQueries<Ctx>({
    execute,
    ranItself: () => options.ranItself ?? true,
    limits,
    logOperation,
  });
  known.useSchema(schema);
  let current = schema;
  const seen: Ctx[] = [];
  const apollo = fakeApollo(known.executor, { status: options.status, on: () => current }, seen);
  const route = known.route({ executeHTTPGraphQLRequest: apollo as never });
  const contexts = vi.fn(async (): Promise<Ctx> => ({ logger: {}, who: 'caller' }));
  const post = async (
    body: unknown,
    request: { method?: string; contentType?: string; accept?: string; context?: () => Promise<Ctx> } = {},
  ) => {
    const headers = new HeaderMap([['content-type', request.contentType ?? 'application/json']]);
    if (request.accept) headers.set('accept', request.accept);
    const response = await route.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method ?? 'POST', headers, search: '', body },
      context: request.context ?? contexts,
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text: response.body.kind === 'complete' ? response.body.string : null,
    };
  };
  const newSchema = (next: GraphQLSchema) => {
    current = next;
    known.useSchema(next);
  };
  return { known, apollo, execute, logOperation, post, contexts, newSchema, seen };
}

describe('known queries', () => {
  it('answer a query Apollo Server ran through the executor with the executor alone, as Apollo writes it', async () => {
    const { known, apollo, execute, logOperation, post, contexts } = setup();
    expect((await post({ query: QUERY })).text).toBe('apollo {"data":{"a":1}}');
    expect(await post({ query: QUERY, variables: null })).toEqual({
      status: 200,
      type: 'application/json; charset=utf-8',
      text: '{"data":{"a":1}}\n',
    });
    expect(apollo).toHaveBeenCalledTimes(1);
    expect(execute).toHaveBeenCalledTimes(2);
    expect(execute).toHaveBeenLastCalledWith(
      expect.objectContaining({
        source: QUERY,
        queryHash: `hash of ${QUERY}`,
        context: { logger: {}, who: 'caller' },
      }),
    );
    expect(contexts).toHaveBeenCalledTimes(2);
    expect(logOperation).toHaveBeenCalledWith({ logger: {}, who: 'caller' }, null, expect.any(Number));
    expect(known.answered()).toEqual({ known: 1, apolloServer: 1 });
  });

  it('know only queries the executor ran itself, without errors, on the current schema, short, not introspecting', async () => {
    const twice = async (s: ReturnType<typeof setup>, body: object) => {
      await s.post(body);
      await s.post(body);
      return s.apollo.mock.calls.length;
    };
    expect(await twice(setup({ ranItself: false }), { query: QUERY })).toBe(2);
    expect(await twice(setup(), { query: 'mutation { m }' })).toBe(2);
    expect(
      await twice(setup({ answer: async () => ({ errors: [new GraphQLError('no')] }) }), { query: QUERY }),
    ).toBe(2);
    expect(
      await twice(setup({ answer: async () => ({ data: {}, extensions: { valueCompletion: [] } }) }), {
        query: QUERY,
      }),
    ).toBe(2);
    expect(await twice(setup(), { query: `{ a } # ${'x'.repeat(16_384)}` })).toBe(2);
    // An admin's run of one operation of a document whose other one asks for the schema.
    const introspecting = 'query A { a } query B { __schema { queryType { name } } }';
    expect(await twice(setup(), { query: introspecting, operationName: 'A' })).toBe(2);
    expect(await twice(setup(), { query: QUERY })).toBe(1);
  });

  it('forget every document when the schema changes, and one that Apollo ran on the schema before', async () => {
    const s = setup();
    await s.post({ query: QUERY });
    s.newSchema(buildSchema('type Query { a: Int }'));
    await s.post({ query: QUERY });
    expect(s.apollo).toHaveBeenCalledTimes(2);
    await s.post({ query: QUERY });
    expect(s.apollo).toHaveBeenCalledTimes(2);

    // Apollo Server still validating against the schema before the one just loaded.
    const stale = setup();
    stale.known.useSchema(buildSchema('type Query { a: Int }'));
    await stale.post({ query: QUERY });
    await stale.post({ query: QUERY });
    expect(stale.apollo).toHaveBeenCalledTimes(2);
  });

  it('hand a known query to Apollo Server when the schema changed while its context was made', async () => {
    const s = setup();
    await s.post({ query: QUERY });
    const swapping = async (): Promise<Ctx> => {
      s.newSchema(buildSchema('type Query { a: Int }'));
      return { logger: {}, who: 'caller' };
    };
    expect((await s.post({ query: QUERY }, { context: swapping })).text).toBe('apollo {"data":{"a":1}}');
    expect(s.apollo).toHaveBeenCalledTimes(2);
    expect(s.execute).toHaveBeenCalledTimes(2); // once each, by Apollo Server
    expect(s.known.answered().known).toBe(0);
  });

  it('leave to Apollo Server a request of another form: persisted, GET, not JSON, another or an empty operation name', async () => {
    const { apollo, execute, post } = setup();
    await post({ query: QUERY });
    await post({ query: QUERY, extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } });
    await post({ query: QUERY }, { method: 'GET' });
    await post({ query: QUERY }, { contentType: 'text/plain' });
    await post({ query: QUERY, operationName: 'Other' });
    await post({ query: QUERY, operationName: '' });
    await post({ query: QUERY, variables: [1] });
    await post({ query: QUERY }, { accept: 'application/graphql-response+json' }); // not seen yet
    expect(apollo).toHaveBeenCalledTimes(8);
    expect(execute).toHaveBeenCalledTimes(5); // by Apollo Server: not the GET, not the two unknown operations
  });

  it('learn content types only from POSTs Apollo Server answered with 200', async () => {
    const refusing = setup({ status: 406 });
    await refusing.post({ query: QUERY });
    await refusing.post({ query: QUERY });
    expect(refusing.apollo).toHaveBeenCalledTimes(2);
    // A landing page for a browser's GET, with the same (absent) accept header.
    const s = setup();
    await s.post({ query: QUERY });
    expect((await s.post(undefined, { method: 'GET' })).type).toBe('text/html');
    expect((await s.post({ query: QUERY })).type).toBe('application/json; charset=utf-8');
    expect(s.known.answered().known).toBe(1);
  });

  it('hand Apollo Server the context made once and what already ran: a failing query runs once', async () => {
    let answer: GatewayExecutionResult = { data: { a: 1 } };
    const s = setup({ answer: async () => answer });
    await s.post({ query: QUERY });
    const calls = () => [s.apollo.mock.calls.length, s.execute.mock.calls.length];
    expect(calls()).toEqual([1, 1]);

    const refused = vi.fn(async (): Promise<Ctx> => {
      throw new GraphQLError('bad token');
    });
    expect((await s.post({ query: QUERY }, { context: refused })).text).toBe('apollo refused: bad token');
    expect(refused).toHaveBeenCalledTimes(1);
    expect(calls()).toEqual([2, 1]);

    answer = { data: null, errors: [new GraphQLError('broke')] };
    const before = Date.now();
    expect((await s.post({ query: QUERY })).text).toBe('apollo {"data":null,"errors":[{"message":"broke"}]}');
    expect(calls()).toEqual([3, 2]);
    // The operation's log line times it from the known path's start, not Apollo Server's.
    expect(s.known.startedBefore(s.seen.at(-1)!)).toBeGreaterThanOrEqual(before);
    expect(s.known.startedBefore(s.seen[0]!)).toBeUndefined();

    s.execute.mockImplementationOnce(async () => {
      throw new Error('malformed answer');
    });
    expect((await s.post({ query: QUERY })).text).toBe('apollo threw malformed answer');
    expect(calls()).toEqual([4, 3]);

    const deep = '{ b { c { c { c { d } } } } }'; // deeper than maxDepth: limits say no before any run
    answer = { data: { b: null } };
    await s.post({ query: deep }); // Apollo's run: known from now on
    await s.post({ query: deep });
    expect(calls()).toEqual([6, 5]);
    expect(s.known.answered()).toEqual({ known: 0, apolloServer: 5 }); // the refused context ran nothing
  });
});
