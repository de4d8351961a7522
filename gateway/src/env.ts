import { z } from 'zod';
import { backendEnv, commonEnv, DEFAULT_METRICS_PORT, loadEnv, port } from '@moim/kit';
import { subgraphs, supergraphPath } from './subgraphs';

const subgraphUrls = Object.fromEntries(
  subgraphs.map((s) => [s.urlVariable, z.string().url().default(s.defaultUrl)]),
);

const shape = {
  NODE_ENV: commonEnv.NODE_ENV,
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  SLOW_REQUEST_MS: commonEnv.SLOW_REQUEST_MS,
  INTERNAL_SECRET: commonEnv.INTERNAL_SECRET,
  HOST: commonEnv.HOST,
  PORT: port(4000),
  JWT_SECRET: z
    .string({ required_error: 'Required: the secret access tokens are signed with (shared with social)' })
    .min(32, 'must be at least 32 characters'),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).default(12),
  MAX_ALIASES: z.coerce.number().int().min(1).default(30),
  MAX_QUERY_COST: z.coerce.number().int().min(1).default(25_000),
  /**
   * Lists one operation may ask for: each alias and each distinct set of arguments of a list
   * field is fetched on its own (a SQL statement or more), whatever its page size.
   */
  MAX_LIST_BATCHES: z.coerce.number().int().min(1).default(10),
  /**
   * Tokens in a query document, counted before parsing (Apollo Router's default): enough for any
   * screen's query, far too few for a megabyte of duplicate fields or fragments.
   */
  MAX_QUERY_TOKENS: z.coerce.number().int().min(1000).default(15_000),
  /**
   * How many proxies in front of the gateway append to X-Forwarded-For (0: use the socket
   * address). The client IP is the entry that many places from the right: entries further left
   * are whatever the client wrote.
   */
  TRUSTED_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /**
   * Where /metrics is served: a port of its own, internal to the cluster (0: a free one). Unset:
   * DEFAULT_METRICS_PORT in production, the main port otherwise; equal to PORT: the main port.
   */
  METRICS_PORT: port(0).optional(),
  /** How long the gateway waits for a subgraph connection, for response headers, between body chunks. */
  SUBGRAPH_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(1).default(2_000),
  SUBGRAPH_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  SUBGRAPH_BODY_TIMEOUT_MS: z.coerce.number().int().min(1).default(10_000),
  /**
   * Who runs query plans: `moim`, the gateway's own executor (src/executor); `apollo`,
   * @apollo/gateway's for every operation — a way back should the gateway's ever answer
   * differently (the tests compare the two).
   */
  GATEWAY_EXECUTOR: z.enum(['moim', 'apollo']).default('moim'),
  /**
   * `on`: a query Apollo Server already ran through the gateway's executor is answered again
   * without its request pipeline (src/known-queries.ts); `off`: every request through it.
   */
  GATEWAY_KNOWN_QUERIES: z.enum(['on', 'off']).default('on'),
  /** Subscriptions hear the subgraphs' live events through the kit's pub/sub (Redis). */
  MOIM_BACKEND: backendEnv.MOIM_BACKEND,
  REDIS_URL: backendEnv.REDIS_URL,
  REDIS_PREFIX: backendEnv.REDIS_PREFIX,
  /** Open WebSockets per user (per IP for anonymous ones) on one gateway replica. */
  WS_CONNECTIONS_PER_USER: z.coerce.number().int().min(1).default(8),
  WS_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).default(50),
  /** Unsent bytes after which a socket is a slow consumer and is closed (1013): it reconnects and resumes. */
  WS_MAX_BUFFERED_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  /** Largest message a client may send (a subscribe with its document and variables). */
  WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).default(65_536),
  /** How long a socket may wait before its connection_init (then 4408). */
  WS_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).default(5_000),
  /** The composed supergraph; in Kubernetes a mounted ConfigMap, reloaded when it changes. */
  SUPERGRAPH_PATH: z.string().min(1).default(supergraphPath),
  /** How often the file is read for changes (0: never). */
  SUPERGRAPH_POLL_SECONDS: z.coerce.number().min(0).default(10),
  /**
   * The admin console's static build to serve at /admin (npm start sets it); unset in production,
   * where the console has a container of its own.
   */
  ADMIN_CONSOLE_DIR: z.string().min(1).optional(),
  ...subgraphUrls,
};

export type GatewayConfig = Omit<ReturnType<typeof loadGatewayEnv>, 'subgraphUrls'> & {
  subgraphUrls: Record<string, string>;
};

export function loadGatewayEnv(source: Record<string, string | undefined> = process.env) {
  const env = loadEnv(shape, source);
  const urls = Object.fromEntries(
    subgraphs.map((s) => [s.name, (env as Record<string, unknown>)[s.urlVariable] as string]),
  );
  const metricsPort = env.METRICS_PORT ?? (env.NODE_ENV === 'production' ? DEFAULT_METRICS_PORT : undefined);
  return {
    ...env,
    /** A port of its own for /metrics, or undefined: /metrics on the main port. */
    METRICS_PORT: metricsPort === env.PORT && metricsPort !== 0 ? undefined : metricsPort,
    subgraphUrls: urls,
  };
}
