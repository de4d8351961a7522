import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { REQUEST_ID_HEADER } from './caller';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

export type ReadinessCheck = { name: string; check: () => Promise<void> };

export interface GraphqlRoute<C extends BaseContext> {
  path: string;
  apollo: ApolloServer<C>;
  context: (req: IncomingMessage, requestId: string) => Promise<C>;
}

export interface HttpApp {
  server: Server;
  listen(port: number, host?: string): Promise<string>;
  /** Stops accepting, lets in-flight requests finish (up to graceMs), then closes. */
  close(graceMs?: number): Promise<void>;
}

const MAX_BODY_BYTES = 1_000_000;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  if (!size) return undefined;
  const text = Buffer.concat(chunks).toString('utf8');
  if (!(req.headers['content-type'] ?? '').includes('application/json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON');
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
  /** Log every GraphQL request with its request id (the gateway logs operations itself instead). */
  logRequests?: boolean;
}): HttpApp {
  const { logger, metrics, graphql, readiness } = options;
  let draining = false;

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
    const ok = !draining && results.every(([, r]) => r === 'ok');
    send(
      res,
      ok ? 200 : 503,
      'application/json',
      JSON.stringify({
        status: ok ? 'ok' : draining ? 'draining' : 'unavailable',
        checks: Object.fromEntries(results),
      }),
    );
  }

  async function serveGraphql(
    graphql: GraphqlRoute<C>,
    req: IncomingMessage,
    res: ServerResponse,
    requestId: string,
  ) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const result = await graphql.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: {
        method: req.method?.toUpperCase() ?? 'GET',
        headers,
        search: url.search,
        body: await readBody(req),
      },
      context: () => graphql.context(req, requestId),
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
      } else if (path === '/metrics') {
        route = path;
        send(res, 200, metrics.registry.contentType, await metrics.registry.metrics());
      } else if (graphql && path === graphql.path) {
        route = path;
        logger.debug({ requestId, method: req.method }, 'request received');
        if (draining) res.setHeader('connection', 'close');
        await serveGraphql(graphql, req, res, requestId);
      } else {
        send(res, 404, 'application/json', '{"error":"Not found"}');
      }
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      if (status === 500) logger.error({ err, requestId }, 'request failed');
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
      if (route === graphql?.path && options.logRequests !== false)
        logger.info({ requestId, status: res.statusCode, ms: Math.round(seconds * 1000) }, 'request');
    }
  });
  server.keepAliveTimeout = 65_000; // longer than typical load balancer idle timeouts

  return {
    server,
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const { port: actual } = server.address() as AddressInfo;
          resolve(`http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actual}`);
        });
      }),
    close: (graceMs = 10_000) =>
      new Promise((resolve) => {
        draining = true;
        if (!server.listening) return resolve();
        const force = setTimeout(() => server.closeAllConnections(), graceMs).unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, contentType: string, body: string) {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.end(body);
}
