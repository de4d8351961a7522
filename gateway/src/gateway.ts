import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { fetch as undiciFetch } from 'undici';
import {
  CALLER_HEADER,
  callerClaims,
  callerKey,
  openPubSub,
  type PubSub,
  createHttpApp,
  createLogger,
  createMetrics,
  readCounter,
  readGauge,
  REQUEST_ID_HEADER,
  requestScope,
  verifyAccessToken,
  type Caller,
  type HttpApp,
  type Logger,
  normalizeIp,
} from '@moim/kit';
import { ADMIN_CONSOLE_PATH, adminConsoleRoute } from './admin-console';
import { errorLogPlugin, maskForProduction, persistedQueryStatusPlugin } from './client-errors';
import type { GatewayConfig } from './env';
import { adminIntrospectionPlugin } from './introspection';
import { limitsPlugin, SourceLimitedApolloServer } from './limits';
import { createPlanExecutor, SupergraphVersion } from './executor';
import { knownQueries } from './known-queries';
import { createHub } from './subscriptions/hub';
import { supergraphFile } from './supergraph-file';
import { liveOpener } from './subscriptions/open';
import { SubscriptionPlanner } from './subscriptions/plan';
import { serveSubscriptions } from './subscriptions/server';
import {
  BATCH_HEADER,
  createSubgraphTransport,
  isQuery,
  RETRYABLE_HEADER,
  type SubgraphSend,
} from './transport';

type SubgraphResult = Awaited<ReturnType<RemoteGraphQLDataSource['process']>>;
/** The fetch response type RemoteGraphQLDataSource's helpers are declared with. */
type FetcherResponse = Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0];

export interface GatewayContext {
  caller: Caller;
  requestId: string;
  /** Unique to this request, whatever request id the client sent: see BATCH_HEADER. */
  batchKey: string;
  logger: Logger;
}

export interface Gateway {
  http: HttpApp;
  /**
   * Queries and mutations run by the gateway's own executor and left to Apollo's, since start;
   * `known`: of the former, queries answered without Apollo Server's pipeline (known-queries.ts).
   */
  executed(): { moim: number; apollo: number; known: number };
  /** Live subscriptions on this replica: open sockets, and the hub's channels, groups and subscribers. */
  subscriptions: {
    connections(): number;
    stats(): { channels: number; groups: number; subscribers: number };
  };
  listen(port: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}

/** The client's address in one canonical form (proxies write ports, brackets, mapped IPv4). */
function clientIp(req: IncomingMessage, trustedHops: number): string | null {
  const forwarded = req.headers['x-forwarded-for'];
  if (trustedHops > 0 && typeof forwarded === 'string') {
    const chain = forwarded.split(',').map((s) => s.trim());
    return normalizeIp(chain[Math.max(chain.length - trustedHops, 0)]);
  }
  return normalizeIp(req.socket.remoteAddress);
}

/** An invalid or expired token is an error, not an anonymous request: the client must refresh. */
async function callerOf(req: IncomingMessage, requestId: string, config: GatewayConfig): Promise<Caller> {
  const ip = clientIp(req, config.TRUSTED_PROXY_HOPS);
  const header = req.headers.authorization;
  if (!header) return { userId: null, role: null, ip, requestId };
  const [scheme, token] = header.split(' ');
  try {
    if (scheme !== 'Bearer' || !token) throw new Error('Authorization must be "Bearer <access token>"');
    const claims = await verifyAccessToken(token, config.JWT_SECRET);
    return { userId: claims.userId, role: claims.role, ip, requestId };
  } catch (err) {
    throw new GraphQLError((err as Error).message, {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
  }
}

/** The landing page of /graphql in a browser: the console's explorer, same origin, no CDN. */
function explorerRedirect(): ApolloServerPlugin {
  const to = `${ADMIN_CONSOLE_PATH}/explorer`;
  return {
    async serverWillStart() {
      return {
        async renderLandingPage() {
          return {
            html: `<!doctype html><meta http-equiv="refresh" content="0; url=${to}"><a href="${to}">GraphQL explorer</a>`,
          };
        },
      };
    },
  };
}

export async function createGateway(
  config: GatewayConfig,
  logger = createLogger('gateway', config.LOG_LEVEL),
  /** The pub/sub subgraphs publish live events on; by default the gateway opens its own (Redis). */
  options: { pubsub?: PubSub } = {},
): Promise<Gateway> {
  const transport = createSubgraphTransport({
    secret: config.INTERNAL_SECRET,
    timeouts: {
      connectMs: config.SUBGRAPH_CONNECT_TIMEOUT_MS,
      headersMs: config.SUBGRAPH_HEADERS_TIMEOUT_MS,
      bodyMs: config.SUBGRAPH_BODY_TIMEOUT_MS,
    },
    logger,
  });

  class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
    constructor(
      private readonly subgraph: string,
      url: string,
    ) {
      super({ url, fetcher: transport.fetcher(url) });
      this.send = this.fetcher as unknown as SubgraphSend;
    }

    private readonly send: SubgraphSend;

    /**
     * RemoteGraphQLDataSource's own `process`, without its per-call WHATWG `Headers` and `Request`
     * objects (built for a fetch the transport does not use): headers as a plain object, the body
     * serialised once, the response as the transport parsed it.
     */
    override async process({
      request,
      context,
    }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResult> {
      if (!request.query) throw new Error('Missing query');
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      for (const [name, value] of request.http?.headers ?? []) headers[name] = value;
      if ('caller' in context && context.caller) {
        // Unsigned claims: the transport seals them over the exact body it sends.
        headers[CALLER_HEADER] = callerClaims(context.caller, this.subgraph);
        headers[REQUEST_ID_HEADER] = context.requestId;
        headers[BATCH_HEADER] = context.batchKey;
        if (isQuery(request.query)) headers[RETRYABLE_HEADER] = 'true';
      }
      const body = JSON.stringify({
        query: request.query,
        variables: request.variables,
        operationName: request.operationName,
      });
      const sent = await this.send(this.url, { method: 'POST', headers, body });
      const response = sent as unknown as FetcherResponse;
      if (!sent.ok) throw await this.errorFromResponse(response);
      const result = await this.parseBody(response);
      if (result === null || typeof result !== 'object' || Array.isArray(result))
        throw new Error(`Expected JSON response body, but received: ${String(result)}`);
      return { ...(result as SubgraphResult), http: response };
    }
  }

  const dataSources: Record<string, SignedDataSource> = {};
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFile(config.SUPERGRAPH_PATH, config.SUPERGRAPH_POLL_SECONDS * 1000, logger),
    buildService: ({ name }) => {
      const url = config.subgraphUrls[name];
      if (!url) throw new Error(`No URL configured for subgraph ${name}`);
      return (dataSources[name] = new SignedDataSource(name, url));
    },
  });
  // Queries and mutations run through the gateway's own executor (executor/index.ts), what it
  // leaves through Apollo's; subscriptions are planned from the same supergraph. Both kept
  // current with it.
  const executor = createPlanExecutor({
    services: dataSources,
    fallback: gateway.executor,
    enabled: config.GATEWAY_EXECUTOR === 'moim',
  });
  const operationLimits = {
    maxDepth: config.MAX_QUERY_DEPTH,
    maxAliases: config.MAX_ALIASES,
    maxCost: config.MAX_QUERY_COST,
    maxListBatches: config.MAX_LIST_BATCHES,
  };
  /** One line per operation: at info when it failed or was slow, at debug otherwise (README "Logs"). */
  const logOperation = (context: GatewayContext, operation: string | null, ms: number, errors = 0) => {
    const level = errors || ms >= config.SLOW_REQUEST_MS ? 'info' : 'debug';
    if (logger.isLevelEnabled(level)) context.logger[level]({ operation, ms, errors }, 'graphql');
  };
  // Queries Apollo Server has run through the executor are answered again without its pipeline.
  const known = knownQueries<GatewayContext>({
    execute: executor.execute,
    ranItself: executor.ranItself,
    limits: operationLimits,
    logOperation,
  });
  const knownOn = config.GATEWAY_KNOWN_QUERIES === 'on';
  gateway.executor = knownOn ? known.executor : executor.execute;
  let planner: SubscriptionPlanner | undefined;
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    known.useSchema(apiSchema);
    try {
      const version = new SupergraphVersion(coreSupergraphSdl);
      executor.use(version);
      planner = new SubscriptionPlanner(version, dataSources);
    } catch (err) {
      // Apollo serves the new supergraph: never plans of the old one against it.
      executor.use(undefined);
      logger.error(
        { err },
        "supergraph not usable by the gateway's executor: every operation goes to Apollo's",
      );
    }
  });

  const production = config.NODE_ENV === 'production';
  const sourceLimits = { maxTokens: config.MAX_QUERY_TOKENS };
  const apollo = new SourceLimitedApolloServer<GatewayContext>(sourceLimits, {
    gateway,
    csrfPrevention: true,
    // runMain (or npm start) owns SIGTERM and stops everything in order.
    stopOnTerminationSignals: false,
    // Everyone outside production; in production admins only (adminIntrospectionPlugin).
    introspection: true,
    includeStacktraceInErrorResponses: config.NODE_ENV === 'development',
    // No "Did you mean …?" in production: suggestions map the schema for anyone.
    hideSchemaDetailsFromClientErrors: production,
    // SourceLimitedApolloServer counts tokens before parsing; this is the parser's own backstop.
    parseOptions: { maxTokens: config.MAX_QUERY_TOKENS },
    // No client sends persisted queries; see persistedQueryStatusPlugin.
    persistedQueries: false,
    formatError: production ? maskForProduction : undefined,
    plugins: [
      // No cache hints are used, and computing them wraps every resolver.
      ApolloServerPluginCacheControlDisabled(),
      limitsPlugin(operationLimits),
      errorLogPlugin(),
      persistedQueryStatusPlugin(),
      ...(production ? [adminIntrospectionPlugin()] : []),
      // No landing page loaded from a CDN: a browser opening /graphql goes to the bundled explorer
      // of the admin console when this gateway serves it.
      config.ADMIN_CONSOLE_DIR ? explorerRedirect() : ApolloServerPluginLandingPageDisabled(),
      {
        // Metrics count every operation; logOperation says which are logged at info.
        async requestDidStart({ request }) {
          const started = Date.now();
          return {
            async willSendResponse({ errors, contextValue }) {
              // A query the known path ran and handed over: timed from the known path's start.
              const from = known.startedBefore(contextValue) ?? started;
              logOperation(contextValue, request.operationName ?? null, Date.now() - from, errors?.length);
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const ownPubSub = options.pubsub ? null : openPubSub(config, logger);
  const pubsub = options.pubsub ?? ownPubSub!;
  const formatError = production ? maskForProduction : (e: GraphQLFormattedError) => e;
  const hub = createHub({ pubsub, logger, formatError, maxPending: 1000 });

  const metrics = createMetrics('gateway');
  const reachable = new Map<string, boolean>();
  const http = createHttpApp({
    logger,
    metrics,
    logRequests: false,
    metricsPort: config.METRICS_PORT,
    graphql: {
      path: '/graphql',
      apollo: knownOn ? known.route(apollo) : apollo,
      context: async (req, requestId) =>
        requestScope(
          { caller: await callerOf(req, requestId, config), requestId, batchKey: randomUUID() },
          logger,
        ),
    },
    readinessDetails: config.NODE_ENV !== 'production',
    routes: config.ADMIN_CONSOLE_DIR ? [adminConsoleRoute(config.ADMIN_CONSOLE_DIR)] : [],
    // Subgraphs are reported, not required: every gateway replica reaches the same subgraphs, so a
    // subgraph that is down would take every replica out of its Service — the whole graph, for
    // the part of it that one subgraph serves.
    readiness: Object.entries(config.subgraphUrls).map(([name, url]) => ({
      name,
      informational: true,
      check: async () => {
        try {
          const res = await undiciFetch(new URL('/health/live', url), {
            dispatcher: transport.agent,
            signal: AbortSignal.timeout(2000),
          });
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
        } catch (err) {
          // Said once per change, whatever the probes' rate: production shows no readiness details.
          if (reachable.get(name) !== false) logger.warn({ subgraph: name, err }, 'subgraph unreachable');
          reachable.set(name, false);
          throw err;
        }
        if (reachable.get(name) === false) logger.info({ subgraph: name }, 'subgraph reachable again');
        reachable.set(name, true);
      },
    })),
  });

  const subscriptions = serveSubscriptions({
    server: http.server,
    path: '/graphql',
    planner: () => planner!,
    hub,
    open: liveOpener({
      urls: config.subgraphUrls,
      key: callerKey(config.INTERNAL_SECRET),
      dispatcher: transport.agent,
      timeoutMs: config.SUBGRAPH_HEADERS_TIMEOUT_MS,
    }),
    jwtSecret: config.JWT_SECRET,
    limits: {
      connectionsPerUser: config.WS_CONNECTIONS_PER_USER,
      subscriptionsPerConnection: config.WS_SUBSCRIPTIONS_PER_CONNECTION,
      maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
      maxMessageBytes: config.WS_MAX_MESSAGE_BYTES,
      connectionInitTimeoutMs: config.WS_CONNECTION_INIT_TIMEOUT_MS,
      maxTokens: config.MAX_QUERY_TOKENS,
      maxDepth: config.MAX_QUERY_DEPTH,
      maxAliases: config.MAX_ALIASES,
      maxCost: config.MAX_QUERY_COST,
      maxListBatches: config.MAX_LIST_BATCHES,
    },
    clientIp: (req) => clientIp(req, config.TRUSTED_PROXY_HOPS),
    formatError,
    logger,
  });

  readCounter(
    metrics,
    'gateway_operations_total',
    "Queries and mutations by the executor that ran them: moim (the gateway's own) or apollo (@apollo/gateway's)",
    'executor',
    executor.executed,
  );
  readCounter(
    metrics,
    'gateway_operation_answers_total',
    'Queries and mutations that reached an executor, by what answered them: apollo_server (its request pipeline) or known (a known query, without it)',
    'pipeline',
    () => {
      if (!knownOn) {
        const { moim, apollo } = executor.executed();
        return { apollo_server: moim + apollo, known: 0 };
      }
      const { apolloServer, known: answeredKnown } = known.answered();
      return { apollo_server: apolloServer, known: answeredKnown };
    },
  );
  readGauge(metrics, 'gateway_ws_connections', 'Open graphql-ws sockets', subscriptions.connections);
  readGauge(
    metrics,
    'gateway_live_channels',
    'Live channels this replica listens to',
    () => hub.stats().channels,
  );
  readGauge(
    metrics,
    'gateway_live_groups',
    'Distinct subscription selections (one run per event each)',
    () => hub.stats().groups,
  );
  readGauge(metrics, 'gateway_live_subscribers', 'Live subscriptions', () => hub.stats().subscribers);

  return {
    http,
    executed: () => ({ ...executor.executed(), known: known.answered().known }),
    subscriptions: { connections: subscriptions.connections, stats: hub.stats },
    listen: (port, host) => http.listen(port, host),
    async stop() {
      // Sockets first (1001 Going away): clients reconnect to another replica and resume.
      await subscriptions.close();
      await hub.stop();
      await http.close();
      await apollo.stop();
      await transport.close();
      await ownPubSub?.close();
    },
  };
}
