import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { REQUEST_ID_HEADER } from './caller';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export type ReadinessCheck = {
  name: string;
  check: () => Promise<void>;
  /** Reported, but a failure does not make the process unready (another replica would not do better). */
  informational?: boolean;
};

export interface GraphqlRoute<C extends BaseContext> {
  path: string;
  /** Apollo Server, or what stands in front of it (the gateway's known queries). */
  apollo: Pick<ApolloServer<C>, 'executeHTTPGraphQLRequest'>;
  /** `body` is the request body's exact bytes (empty for GET), which the caller signature covers. */
  context: (req: IncomingMessage, requestId: string, body: Buffer) => Promise<C>;
}

/**
 * A route of a service's own beside GraphQL (media's uploads and files): the first route whose
 * `prefix` starts the path handles the request, for the methods it lists. It reads the body itself
 * and answers; it is counted in metrics under its `name`.
 */
export interface HttpRoute {
  name: string;
  prefix: string;
  methods: readonly string[];
  handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void>;
}

export interface HttpApp {
  server: Server;
  /** The internal server that serves /metrics alone, when the app has a metrics port. */
  metricsServer: Server | null;
  /** Listens (and the metrics server on its port, on the same host); resolves to the base URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Where Prometheus scrapes, once listening: the metrics server's /metrics, or the main one's. */
  metricsUrl(): string;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes. */
  close(graceMs?: number): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;
/**
 * After refusing a body that is too large, how much more of it is read (and dropped) before the
 * answer, so the client reads a 413 instead of a reset: up to this many bytes, for up to this long.
 * Beyond either bound the connection is closed without waiting for the rest.
 */
const DRAIN_BYTES = 1_000_000;
const DRAIN_MS = 2_000;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
// Strict: a lenient decoder turns each invalid byte into U+FFFD (3 bytes), so a request of
// invalid bytes would grow threefold on its way from the gateway to a subgraph.
const utf8 = new TextDecoder('utf-8', { fatal: true });

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The request body was refused: the connection closes after the answer (see readRawBody). */
    readonly refused = false,
  ) {
    super(message);
  }
}

/**
 * The request body's bytes. A body over MAX_BODY_BYTES is refused with 413 after reading (and
 * dropping) a bounded rest of it, never left half-read on a keep-alive connection, where the
 * client's next request would wait behind the unread bytes.
 */
export function readRawBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const done = (result: Buffer | Error) => {
      clearTimeout(drainTimer);
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      // Whatever still arrives is dropped until the socket closes after the answer.
      if (result instanceof Error) {
        req.on('error', () => {}).resume();
        reject(result);
      } else resolve(result);
    };
    const refuse = () => done(new HttpError(413, 'Request body too large', true));
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) {
        if (size > MAX_BODY_BYTES + DRAIN_BYTES) refuse();
        return;
      }
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        drainTimer = setTimeout(refuse, DRAIN_MS);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => (tooLarge ? refuse() : done(Buffer.concat(chunks, size)));
    const onClose = () => done(new HttpError(400, 'Request body incomplete', true));
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_BODY_BYTES + DRAIN_BYTES) return refuse();
    req.on('data', onData).on('end', onEnd).on('close', onClose).on('error', onClose);
  });
}

/** Parses a body (JSON when it says so); invalid UTF-8 or JSON is refused with 400. */
function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (!raw.length) return undefined;
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw new HttpError(400, 'Request body is not valid UTF-8', true);
  }
  if (!(contentType ?? '').includes('application/json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON', true);
  }
}

/** The request id the gateway made, or a new one at the edge. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * A plain node:http server for one GraphQL endpoint plus the operational routes every process
 * has: /health/live, /health/ready (runs the checks), /metrics.
 */
export function createHttpApp<C extends BaseContext>(options: {
  logger: Logger;
  metrics: Metrics;
  /** Absent in worker processes, which serve only health and metrics. */
  graphql?: GraphqlRoute<C>;
  readiness: ReadinessCheck[];
  /** The service's own routes (see HttpRoute); API processes only. */
  routes?: readonly HttpRoute[];
  /**
   * Log GraphQL requests with their request id (the gateway logs operations itself instead):
   * refused or failed (4xx, 5xx) and slow ones (`slowRequestMs`, default 1000) at info, the rest
   * at debug.
   */
  logRequests?: boolean;
  slowRequestMs?: number;
  /**
   * Serve /metrics on a server of its own on this port (0: a free one), internal to the cluster,
   * and not on the main port, which may be public. Absent: /metrics on the main port.
   */
  metricsPort?: number;
  /**
   * Name each check and its error in /health/ready (default). Off on a public port in
   * production: the status is enough for a load balancer, and the names and errors are internal.
   */
  readinessDetails?: boolean;
}): HttpApp {
  const { logger, metrics, graphql, readiness, slowRequestMs = 1000 } = options;
  let draining = false;
  const ownRoute = (path: string) => options.routes?.find((r) => path.startsWith(r.prefix));

  async function ready(res: ServerResponse) {
    const results = await Promise.all(
      readiness.map(async ({ name, check }) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, String((err as Error).message ?? err)] as const;
        }
      }),
    );
    const ok = !draining && results.every(([, r], i) => r === 'ok' || readiness[i]!.informational);
    send(
      res,
      ok ? 200 : 503,
      'application/json',
      JSON.stringify({
        status: ok ? 'ok' : draining ? 'draining' : 'unavailable',
        ...(options.readinessDetails === false ? {} : { checks: Object.fromEntries(results) }),
      }),
    );
  }

  async function serveGraphql(
    graphql: GraphqlRoute<C>,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
  ) {
    // The query string only (GET requests carry the operation there): no URL object per request.
    const target = req.url ?? '/';
    const query = target.indexOf('?');
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const raw = await readRawBody(req);
    const result = await graphql.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method?.toUpperCase() ?? 'GET',
        headers,
        search: query < 0 ? '' : target.slice(query),
        body: parseBody(raw, req.headers['content-type']),
      },
      context: () => graphql.context(req, requestId, raw),
    });
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
    } else {
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    }
  }

  const server = createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    let route = 'other';
    try {
      if (path === '/health/live') {
        route = path;
        send(res, 200, 'application/json', '{"status":"ok"}');
      } else if (path === '/health/ready') {
        route = path;
        await ready(res);
      } else if (path === '/metrics' && !metricsServer) {
        route = path;
        await sendMetrics(res);
      } else if (graphql && path === graphql.path) {
        route = path;
        logger.debug({ requestId, method: req.method }, 'request received');
        if (draining) res.setHeader('connection', 'close');
        await serveGraphql(graphql, req, res, requestId);
      } else if (ownRoute(path)) {
        const own = ownRoute(path)!;
        route = own.name;
        if (!own.methods.includes(req.method ?? 'GET')) {
          res.setHeader('allow', own.methods.join(', '));
          send(res, 405, 'application/json', '{"error":"Method not allowed"}');
        } else {
          if (draining) res.setHeader('connection', 'close');
          await own.handle(req, res, requestId);
        }
      } else {
        send(res, 404, 'application/json', '{"error":"Not found"}');
      }
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) logger.error({ err, requestId }, 'request failed');
      // A refused body may be partly unread: the connection cannot carry another request.
      if (err instanceof HttpError && err.refused && !res.headersSent) res.setHeader('connection', 'close');
      if (!res.headersSent)
        send(
          res,
          status,
          'application/json',
          JSON.stringify({ error: status === 500 ? 'Internal error' : (err as Error).message }),
        );
      else res.end();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe(
        { route, method: req.method ?? 'GET', status: String(res.statusCode) },
        seconds,
      );
      if (route === graphql?.path && options.logRequests !== false) {
        const ms = Math.round(seconds * 1000);
        // Only the gateway calls a subgraph: any refusal (a bad signature, a body too large) is news.
        const level = res.statusCode >= 400 || ms >= slowRequestMs ? 'info' : 'debug';
        logger[level]({ requestId, status: res.statusCode, ms }, 'request');
      }
    }
  });
  server.keepAliveTimeout = 65_000; // longer than typical load balancer idle timeouts

  async function sendMetrics(res: ServerResponse) {
    send(res, 200, metrics.registry.contentType, await metrics.registry.metrics());
  }
  const metricsServer =
    options.metricsPort === undefined
      ? null
      : createServer((req, res) => {
          const path = (req.url ?? '/').split('?')[0];
          if (path !== '/metrics') return send(res, 404, 'application/json', '{"error":"Not found"}');
          sendMetrics(res).catch((err: unknown) => {
            logger.error({ err }, 'metrics failed');
            if (!res.headersSent) send(res, 500, 'application/json', '{"error":"Internal error"}');
          });
        });
  let baseUrl = '';
  let metricsBaseUrl = '';

  return {
    server,
    metricsServer,
    async listen(port, host = '0.0.0.0') {
      baseUrl = await listenOn(server, port, host);
      if (metricsServer) {
        try {
          metricsBaseUrl = await listenOn(metricsServer, options.metricsPort!, host);
        } catch (err) {
          await closeServer(server, 0);
          throw err;
        }
      }
      return baseUrl;
    },
    metricsUrl: () => `${metricsServer ? metricsBaseUrl : baseUrl}/metrics`,
    async close(graceMs = 10_000) {
      draining = true;
      await Promise.all([closeServer(server, graceMs), metricsServer && closeServer(metricsServer, 0)]);
    },
  };
}

function listenOn(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { port: actual } = server.address() as AddressInfo;
      resolve(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}`);
    });
  });
}

/** Stops accepting, lets in-flight requests finish (up to graceMs), then closes. */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const force = setTimeout(() => server.closeAllConnections(), graceMs).unref();
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: string) {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.end(body);
}
