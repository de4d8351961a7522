import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import type { GatewayExecutionResult, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { checkOperation, type Limits } from './limits';

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

/** Bounded like the executor's prepared documents: an app sends a handful of documents. */
const MAX_KNOWN = 1000;

/** The only keys a request may have to skip Apollo's pipeline (no `extensions`: no persisted queries). */
const PLAIN_KEYS = new Set(['query', 'operationName', 'variables']);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Known queries: a query Apollo Server has already answered through the gateway's executor is
 * answered again without Apollo Server's request pipeline (README "Performance"). That pipeline
 * hashes the document, looks up its parse and validation, calls every plugin's hooks and builds
 * its request context on each request — work that, for a document it has validated already,
 * yields the same answer, at about a sixth of the gateway's CPU per feed request.
 *
 * Only what gives nothing away is taken: a JSON POST of `query`, `operationName` and `variables`
 * whose document (and operation name) is a query Apollo Server ran through the gateway's own
 * executor against the current schema, with an `accept` header Apollo Server answered before.
 * Per request it still builds the context (the caller) and applies the limits with the request's
 * variables; the executor checks the variables. Whatever does not succeed whole — a context or
 * limit error, an answer with errors or extensions — is handed to Apollo Server, which answers it
 * as it always does: a query may run twice, never a mutation, which never comes here.
 */
export function knownQueries<C extends BaseContext>(options: {
  execute: (requestContext: GatewayGraphQLRequestContext) => Promise<GatewayExecutionResult>;
  limits: Omit<Limits, 'maxTokens'>;
  /** The line logged for each operation (Apollo's pipeline logs it from a plugin). */
  logOperation: (context: C, operationName: string | null, ms: number) => void;
}) {
  const { execute, limits, logOperation } = options;
  let answered = 0;
  let known = new Map<string, Known>();
  /** The content type Apollo Server answered each `accept` header with (its choice depends on nothing else). */
  const contentTypes = new Map<string, string>();
  let schema: GraphQLSchema | undefined;

  const keyOf = (query: string, operationName: string | null | undefined) =>
    `${operationName ?? ''}\n${query}`;

  /** Through Apollo Server, learning the content type it chose for this `accept`. */
  async function viaApollo(apollo: ApolloRoute<C>, args: HttpArgs<C>): Promise<HTTPGraphQLResponse> {
    const response = await apollo.executeHTTPGraphQLRequest(args);
    const type = response.headers.get('content-type');
    if (type && contentTypes.size < 100)
      contentTypes.set(args.httpGraphQLRequest.headers.get('accept') ?? '', type);
    return response;
  }

  function match(args: HttpArgs<C>) {
    const { method, headers, body } = args.httpGraphQLRequest;
    if (method !== 'POST' || !isRecord(body)) return null;
    if (!headers.get('content-type')?.toLowerCase().startsWith('application/json')) return null;
    for (const key of Object.keys(body)) if (!PLAIN_KEYS.has(key)) return null;
    const { query, operationName, variables } = body;
    if (typeof query !== 'string') return null;
    if (operationName != null && typeof operationName !== 'string') return null;
    if (variables != null && !isRecord(variables)) return null;
    const contentType = contentTypes.get(headers.get('accept') ?? '');
    const found = contentType && known.get(keyOf(query, operationName));
    return found
      ? {
          found,
          contentType,
          query,
          operationName: operationName ?? undefined,
          variables: variables ?? undefined,
        }
      : null;
  }

  /** Apollo Server's `executeHTTPGraphQLRequest`, for known queries without its pipeline. */
  async function executeHTTPGraphQLRequest(
    apollo: ApolloRoute<C>,
    args: HttpArgs<C>,
  ): Promise<HTTPGraphQLResponse> {
    const hit = match(args);
    if (!hit) return viaApollo(apollo, args);
    const { found, contentType, query, operationName, variables } = hit;
    const started = Date.now();
    let context: C;
    try {
      context = await args.context();
      checkOperation(found.schema, found.operation, found.fragments, variables ?? {}, limits);
    } catch {
      return viaApollo(apollo, args);
    }
    const result = await execute({
      request: { query, operationName, variables, http: args.httpGraphQLRequest },
      source: query,
      queryHash: found.queryHash,
      document: found.document,
      operation: found.operation,
      operationName: found.operationName,
      schema: found.schema,
      context,
      logger: (context as { logger?: unknown }).logger,
      metrics: {},
      overallCachePolicy: undefined,
      requestIsBatched: false,
    } as unknown as GatewayGraphQLRequestContext);
    if (result.errors?.length || result.extensions) return viaApollo(apollo, args);
    answered++;
    logOperation(context, operationName ?? null, Date.now() - started);
    return {
      status: 200,
      headers: new HeaderMap([['content-type', contentType]]),
      body: { kind: 'complete', string: `${JSON.stringify({ data: result.data })}\n` },
    };
  }

  return {
    /** What the HTTP route calls instead of `apollo` itself. */
    route: (apollo: ApolloRoute<C>): ApolloRoute<C> => ({
      executeHTTPGraphQLRequest: (args) => executeHTTPGraphQLRequest(apollo, args),
    }),
    /** Queries answered without Apollo Server's pipeline, since start. */
    answered: () => answered,

    /**
     * Called with each operation Apollo Server had the executor run, and its answer: a query the
     * executor ran itself, on the current schema, without errors, becomes known.
     */
    remember(requestContext: GatewayGraphQLRequestContext, result: GatewayExecutionResult, own: boolean) {
      const { operation, document, request, queryHash } = requestContext;
      if (!own || operation.operation !== 'query' || requestContext.schema !== schema) return;
      if (result.errors?.length || result.extensions || typeof request.query !== 'string') return;
      const key = keyOf(request.query, request.operationName);
      if (known.has(key)) return;
      if (known.size >= MAX_KNOWN) known.delete(known.keys().next().value!);
      known.set(key, {
        schema,
        document,
        operation,
        fragments: Object.fromEntries(
          document.definitions
            .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
            .map((f) => [f.name.value, f]),
        ),
        queryHash,
        operationName: requestContext.operationName,
      });
    },

    /** A new schema: every document is validated anew by Apollo Server before it is known again. */
    useSchema(next: GraphQLSchema) {
      schema = next;
      known = new Map();
    },
  };
}
