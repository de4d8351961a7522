import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import type {
  GatewayExecutionResult,
  GatewayExecutor,
  GatewayGraphQLRequestContext,
} from '@apollo/server-gateway-interface';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { introspects } from './introspection';
import { checkOperation, fragmentsOf, type Limits } from './limits';

type ApolloRoute<C extends BaseContext> = Pick<ApolloServer<C>, 'executeHTTPGraphQLRequest'>;
type HttpArgs<C extends BaseContext> = Parameters<ApolloRoute<C>['executeHTTPGraphQLRequest']>[0];

/** A query document Apollo Server parsed, validated and ran through the gateway's executor. */
interface Known {
  schema: GraphQLSchema;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  queryHash: string;
  operationName: string | null;
}

/** What the known path ran, handed to Apollo Server with the request's context to answer. */
type Outcome = { result: GatewayExecutionResult } | { error: unknown };
const HANDED_OVER = Symbol('known query outcome');
/** When the known path began a request it handed over (the operation's time in the log includes its run). */
const STARTED = Symbol('known query start');

/** Bounded like the executor's prepared documents: an app sends a handful of documents. */
const MAX_KNOWN = 1000;
/** Longer documents are left to Apollo Server every time: a thousand of them must not pin memory. */
const MAX_KNOWN_LENGTH = 16_384;
/** `accept` headers remembered; the map starts again when full. */
const MAX_ACCEPTS = 100;

/** The only keys a request may have to skip Apollo's pipeline (no `extensions`: no persisted queries). */
const PLAIN_KEYS = new Set(['query', 'operationName', 'variables']);
const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Known queries: a query Apollo Server has already answered through the gateway's executor is
 * answered again without Apollo Server's request pipeline (README "Performance"). That pipeline
 * hashes the document, looks up its parse and validation, calls every plugin's hooks and builds
 * its request context on each request — work that, for a document it has validated already,
 * yields the same answer.
 *
 * Only what gives nothing away is taken: a JSON POST of `query`, `operationName` and `variables`
 * whose document (and operation name) is a query Apollo Server ran through the gateway's own
 * executor against the current schema, with an `accept` header Apollo Server answered before.
 * Per request it still builds the context (the caller) and applies the limits with the request's
 * variables; the executor checks the variables. Whatever does not succeed whole — a context or
 * limit error, an answer with errors or extensions, a thrown error — goes to Apollo Server with
 * what was already run, and Apollo Server answers it as it always does (plugins, error
 * formatting, status), without running the operation a second time.
 */
export function knownQueries<C extends BaseContext>(options: {
  /** The gateway's executor (executor/index.ts). */
  execute: GatewayExecutor;
  /** Whether that executor (not Apollo's) ran the operation of a request. */
  ranItself: (requestContext: GatewayGraphQLRequestContext) => boolean;
  limits: Omit<Limits, 'maxTokens'>;
  /** The line logged for each operation (Apollo's pipeline logs it from a plugin). */
  logOperation: (context: C, operationName: string | null, ms: number) => void;
}) {
  const { execute, ranItself, limits, logOperation } = options;
  let known = new Map<string, Known>();
  /** Operations answered without Apollo Server's pipeline, and by it (each reaches `executor` once). */
  const answers = { known: 0, apolloServer: 0 };
  /** The content type Apollo Server answered each `accept` header with (its choice depends on nothing else). */
  const contentTypes = new Map<string, string>();
  let schema: GraphQLSchema | undefined;

  const keyOf = (query: string, operationName: string | null | undefined) =>
    `${operationName ?? ''}\n${query}`;

  /** Through Apollo Server, learning the content type it chose for this `accept` on a POST it answered. */
  async function viaApollo(apollo: ApolloRoute<C>, args: HttpArgs<C>): Promise<HTTPGraphQLResponse> {
    const response = await apollo.executeHTTPGraphQLRequest(args);
    const type = response.headers.get('content-type');
    if (args.httpGraphQLRequest.method === 'POST' && (response.status ?? 200) === 200 && type) {
      if (contentTypes.size >= MAX_ACCEPTS) contentTypes.clear();
      contentTypes.set(args.httpGraphQLRequest.headers.get('accept') ?? '', type);
    }
    return response;
  }

  function match(args: HttpArgs<C>) {
    const { method, headers, body } = args.httpGraphQLRequest;
    if (method !== 'POST' || !isRecord(body)) return null;
    if (!headers.get('content-type')?.toLowerCase().startsWith('application/json')) return null;
    for (const key of Object.keys(body)) if (!PLAIN_KEYS.has(key)) return null;
    const { query, operationName, variables } = body;
    if (typeof query !== 'string') return null;
    if (operationName != null && (typeof operationName !== 'string' || !NAME.test(operationName)))
      return null;
    if (variables != null && !isRecord(variables)) return null;
    const contentType = contentTypes.get(headers.get('accept') ?? '');
    const key = keyOf(query, operationName);
    const found = contentType && known.get(key);
    if (!found) return null;
    // Least recently used goes first when full.
    known.delete(key);
    known.set(key, found);
    return {
      found,
      contentType,
      query,
      operationName: operationName ?? undefined,
      variables: variables ?? undefined,
    };
  }

  /** Apollo Server's `executeHTTPGraphQLRequest`, for known queries without its pipeline. */
  async function executeHTTPGraphQLRequest(
    apollo: ApolloRoute<C>,
    args: HttpArgs<C>,
  ): Promise<HTTPGraphQLResponse> {
    const hit = match(args);
    if (!hit) return viaApollo(apollo, args);
    const { found, contentType, query, operationName, variables } = hit;
    const contextValue = args.context();
    let started = 0;
    // Apollo Server gets the same context (made once) and, on it, what has run already.
    const handOver = (outcome?: Outcome) =>
      viaApollo(apollo, {
        ...args,
        context: async () => {
          const context = await contextValue;
          if (outcome) Object.assign(context, { [HANDED_OVER]: outcome, [STARTED]: started });
          return context;
        },
      });
    let context: C;
    try {
      context = await contextValue;
      started = Date.now(); // as Apollo Server's plugins time an operation: once it has its context
      checkOperation(found.schema, found.operation, found.fragments, variables ?? {}, limits);
    } catch {
      return handOver();
    }
    if (found.schema !== schema) return handOver(); // the supergraph changed meanwhile
    let result: GatewayExecutionResult;
    try {
      result = await execute({
        request: { query, operationName, variables, http: args.httpGraphQLRequest },
        source: query,
        queryHash: found.queryHash,
        document: found.document,
        operation: found.operation,
        operationName: found.operationName,
        schema: found.schema,
        context,
        // Read only if the executor logs: a request's child logger is made on first use.
        get logger() {
          return (context as { logger?: unknown }).logger;
        },
        metrics: {},
        overallCachePolicy: undefined,
        requestIsBatched: false,
      } as unknown as GatewayGraphQLRequestContext);
    } catch (error) {
      return handOver({ error });
    }
    if (result.errors?.length || result.extensions) return handOver({ result });
    answers.known++;
    logOperation(context, operationName ?? null, Date.now() - started);
    return {
      status: 200,
      headers: new HeaderMap([['content-type', contentType]]),
      body: { kind: 'complete', string: `${JSON.stringify({ data: result.data })}\n` },
    };
  }

  /** A query the executor ran itself, on the current schema, without errors, becomes known. */
  function remember(requestContext: GatewayGraphQLRequestContext, result: GatewayExecutionResult) {
    const { operation, document, request, queryHash } = requestContext;
    if (operation.operation !== 'query' || requestContext.schema !== schema) return;
    if (result.errors?.length || result.extensions) return;
    if (typeof request.query !== 'string' || request.query.length > MAX_KNOWN_LENGTH) return;
    // Another operation of the document may ask for the schema, which only admins may.
    if (introspects(document) || !ranItself(requestContext)) return;
    const key = keyOf(request.query, request.operationName);
    if (known.has(key)) return;
    if (known.size >= MAX_KNOWN) known.delete(known.keys().next().value!);
    known.set(key, {
      schema,
      document,
      operation,
      fragments: fragmentsOf(document),
      queryHash,
      operationName: requestContext.operationName,
    });
  }

  return {
    /** What the HTTP route calls instead of `apollo` itself. */
    route: (apollo: ApolloRoute<C>): ApolloRoute<C> => ({
      executeHTTPGraphQLRequest: (args) => executeHTTPGraphQLRequest(apollo, args),
    }),
    /**
     * The executor Apollo Server calls: what the known path ran already for this request is the
     * answer; any other operation is executed, and remembered.
     */
    executor: (async (requestContext) => {
      answers.apolloServer++;
      const context = requestContext.context as { [HANDED_OVER]?: Outcome };
      const outcome = context[HANDED_OVER];
      if (outcome) {
        delete context[HANDED_OVER];
        if ('error' in outcome) throw outcome.error;
        return outcome.result;
      }
      const result = await execute(requestContext);
      remember(requestContext, result);
      return result;
    }) satisfies GatewayExecutor,
    /**
     * Operations that reached the executor since start, by what answered them: Apollo Server's
     * pipeline (`apolloServer`), or the known path without it (`known`).
     */
    answered: () => ({ ...answers }),
    /** When the known path began the operation of a request it handed over to Apollo Server. */
    startedBefore: (context: object): number | undefined => (context as { [STARTED]?: number })[STARTED],
    /** A new schema: every document is validated anew by Apollo Server before it is known again. */
    useSchema(next: GraphQLSchema) {
      schema = next;
      known = new Map();
    },
  };
}
