import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import type { GatewayExecutionResult, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { buildSchema, GraphQLError, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it, vi } from 'vitest';
import { knownQueries } from './known-queries';

const schema = buildSchema('type Query { a(n: Int): Int, b: B } type B { c: B, d: Int }');
const QUERY = '{ a }';
const limits = { maxDepth: 3, maxAliases: 5, maxCost: 100, maxListBatches: 5 };
type Ctx = { logger: object; who: string };

/** What Apollo Server hands the executor for `query`. */
function requestContext(query: string, operation: 'query' | 'mutation' = 'query', on = schema) {
  const document = parse(query);
  return {
    request: { query },
    document,
    operation: { ...(document.definitions[0] as OperationDefinitionNode), operation },
    operationName: null,
    queryHash: `hash of ${query}`,
    schema: on,
  } as unknown as GatewayGraphQLRequestContext;
}

function setup(answer: GatewayExecutionResult = { data: { a: 1 } }) {
  const apolloAnswer: HTTPGraphQLResponse = {
    status: 200,
    headers: new HeaderMap([['content-type', 'application/json; charset=utf-8']]),
    body: { kind: 'complete', string: 'from apollo' },
  };
  const apollo = { executeHTTPGraphQLRequest: vi.fn(async () => apolloAnswer) };
  const execute = vi.fn(async () => answer);
  const logOperation = vi.fn();
  const known = knownQueries<Ctx>({ execute, limits, logOperation });
  known.useSchema(schema);
  const route = known.route(apollo);
  const post = async (
    body: unknown,
    options: { method?: string; contentType?: string; context?: () => Promise<Ctx> } = {},
  ) => {
    const headers = new HeaderMap([['content-type', options.contentType ?? 'application/json']]);
    const response = await route.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: options.method ?? 'POST', headers, search: '', body },
      context: options.context ?? (async () => ({ logger: {}, who: 'caller' })),
    });
    return response.body.kind === 'complete' ? response.body.string : null;
  };
  return { known, apollo, execute, logOperation, post };
}

describe('known queries', () => {
  it('answer a remembered query with the executor alone, as Apollo Server would write it', async () => {
    const { known, apollo, execute, logOperation, post } = setup();
    expect(await post({ query: QUERY })).toBe('from apollo'); // unknown yet; the content type is learnt
    known.remember(requestContext(QUERY), { data: { a: 1 } }, true);
    expect(await post({ query: QUERY, variables: null })).toBe('{"data":{"a":1}}\n');
    expect(apollo.executeHTTPGraphQLRequest).toHaveBeenCalledTimes(1);
    expect(execute).toHaveBeenCalledWith(
      expect.objectContaining({
        source: QUERY,
        queryHash: `hash of ${QUERY}`,
        context: { logger: {}, who: 'caller' },
      }),
    );
    expect(logOperation).toHaveBeenCalledWith({ logger: {}, who: 'caller' }, null, expect.any(Number));
    expect(known.answered()).toBe(1);
  });

  it('remember only queries the executor ran itself, without errors, on the current schema', async () => {
    const { known, apollo, post } = setup();
    await post({ query: QUERY });
    known.remember(requestContext(QUERY), { data: { a: 1 } }, false); // Apollo's executor ran it
    known.remember(requestContext(QUERY, 'mutation'), { data: { a: 1 } }, true);
    known.remember(requestContext(QUERY), { errors: [new GraphQLError('no')] }, true);
    known.remember(requestContext(QUERY), { data: { a: 1 }, extensions: { valueCompletion: [] } }, true);
    known.remember(requestContext(QUERY, 'query', buildSchema('type Query { a: Int }')), { data: {} }, true);
    await post({ query: QUERY });
    expect(apollo.executeHTTPGraphQLRequest).toHaveBeenCalledTimes(2);
    known.remember(requestContext(QUERY), { data: { a: 1 } }, true);
    expect(await post({ query: QUERY })).not.toBe('from apollo');
    // A new schema: every document is validated again by Apollo Server first.
    known.useSchema(buildSchema('type Query { a: Int }'));
    expect(await post({ query: QUERY })).toBe('from apollo');
  });

  it('leave to Apollo Server a request of another form: persisted, GET, not JSON, another operation name', async () => {
    const { known, apollo, execute, post } = setup();
    await post({ query: QUERY });
    known.remember(requestContext(QUERY), { data: { a: 1 } }, true);
    await post({ query: QUERY, extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } });
    await post({ query: QUERY }, { method: 'GET' });
    await post({ query: QUERY }, { contentType: 'text/plain' });
    await post({ query: QUERY, operationName: 'Other' });
    await post({ query: QUERY, variables: [1] });
    expect(execute).not.toHaveBeenCalled();
    expect(apollo.executeHTTPGraphQLRequest).toHaveBeenCalledTimes(6);
  });

  it('hand a known query to Apollo Server when its context, limits or answer fail', async () => {
    const deep = '{ b { c { c { c { d } } } } }';
    const { known, apollo, execute, post } = setup({ data: null, errors: [new GraphQLError('broke')] });
    await post({ query: QUERY });
    known.remember(requestContext(QUERY), { data: { a: 1 } }, true);
    known.remember(requestContext(deep), { data: { b: null } }, true);
    const refused = async (): Promise<Ctx> => {
      throw new GraphQLError('bad token');
    };
    expect(await post({ query: QUERY }, { context: refused })).toBe('from apollo');
    expect(await post({ query: deep })).toBe('from apollo'); // deeper than maxDepth: Apollo refuses it
    expect(execute).not.toHaveBeenCalled();
    // Errors: Apollo Server answers (a query may run twice; a mutation never comes here).
    expect(await post({ query: QUERY })).toBe('from apollo');
    expect(execute).toHaveBeenCalledTimes(1);
    expect(apollo.executeHTTPGraphQLRequest).toHaveBeenCalledTimes(4);
    expect(known.answered()).toBe(0);
  });
});
