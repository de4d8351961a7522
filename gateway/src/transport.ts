import type { IncomingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { Agent, type Dispatcher } from 'undici';
import { CALLER_HEADER, callerKey, REQUEST_ID_HEADER, sealCaller, type Logger } from '@moim/kit';

/**
 * How long the gateway waits for a subgraph: a connection, the response's headers, and each
 * chunk of its body. Well under a client's patience (mobile clients give up after ~30 s), so a
 * subgraph that stalls fails the request with an error instead of hanging it.
 */
export interface SubgraphTimeouts {
  connectMs: number;
  headersMs: number;
  bodyMs: number;
}

/**
 * Set by the data source on a subgraph request the fetcher may send twice (a query); removed
 * before the request leaves.
 */
export const RETRYABLE_HEADER = 'x-moim-retryable';

/**
 * Set by the data source to a value unique to one client request (never taken from the client):
 * fetches with the same value to the same subgraph may share one batched request, which carries
 * the caller of the first — the same caller. Removed before the request leaves.
 */
export const BATCH_HEADER = 'x-moim-batch';

/**
 * Connection failures after which a query is sent again, once, on a fresh connection: the
 * connection broke (a kept-alive one the subgraph had closed, or could not be made). Not a
 * headers or body timeout: the subgraph had the query and is slow, and a second try would double
 * both the wait and its load.
 */
const CONNECTION_FAILURES = new Set([
  'UND_ERR_SOCKET', // closed by the other side
  'UND_ERR_CONNECT_TIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

interface Target {
  url: string;
  origin: string;
  path: string;
}

export interface SubgraphTransport {
  /** The keep-alive connections to subgraphs (also for the readiness checks). */
  agent: Agent;
  /** A fetcher for RemoteGraphQLDataSource that sends to the subgraph at `url`. */
  fetcher(url: string): typeof fetch;
  close(): Promise<void>;
}

/**
 * At most this many operations go out in one batched subgraph request (a query plan's parallel
 * fetches to one subgraph are a handful; the limit only bounds a pathological plan).
 */
export const MAX_BATCHED_OPERATIONS = 16;

export type SubgraphResponse = ReturnType<typeof responseOf>;

/** What a fetcher from `fetcher(url)` really is (RemoteGraphQLDataSource is told it is a fetch). */
export type SubgraphSend = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string },
) => Promise<SubgraphResponse>;

/** Response headers from undici's raw list (name, value, name, value…), names in lower case. */
function headersOf(raw: Buffer[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else headers[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return headers;
}

/** The part of a fetch Response that RemoteGraphQLDataSource reads. */
function responseOf(
  url: string,
  status: number,
  headers: IncomingHttpHeaders,
  text: string,
  parsed?: unknown,
) {
  return {
    ok: status >= 200 && status < 300,
    redirected: false,
    status,
    statusText: STATUS_CODES[status] ?? '',
    url,
    headers: {
      get(name: string): string | null {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
      has: (name: string) => headers[name.toLowerCase()] !== undefined,
    },
    text: async () => (parsed === undefined ? text : JSON.stringify(parsed)),
    json: async () => (parsed === undefined ? (JSON.parse(text) as unknown) : parsed),
  };
}

interface PendingFetch {
  headers: Record<string, string>;
  body: string;
  resolve(response: SubgraphResponse): void;
  reject(err: unknown): void;
}

/**
 * One answer per operation of a batched request: Apollo Server answers a JSON array with an
 * array in the same order; anything else (a refused request) is every operation's answer.
 */
function splitBatch(response: SubgraphResponse, text: string, count: number): SubgraphResponse[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== count) return Array.from({ length: count }, () => response);
  return parsed.map((result) => ({
    ...response,
    text: async () => JSON.stringify(result),
    json: async () => result,
  }));
}

/**
 * How the gateway reaches subgraphs: `undici.request` on keep-alive connections (no WHATWG
 * Request/Response/streams per call, see ARCHITECTURE "Performance habits"), bounded by
 * `timeouts`. The fetcher seals the caller header over the exact body it sends (the data source
 * sets the unsigned claims), and sends a query again, once, on a fresh connection when its
 * connection breaks (closed, reset, not made). A mutation is never sent twice. Parallel fetches
 * of one client request to one subgraph go out as one batched request (a JSON array, which
 * subgraphs accept from a signed caller only).
 */
export function createSubgraphTransport(options: {
  secret: string;
  timeouts: SubgraphTimeouts;
  logger: Logger;
}): SubgraphTransport {
  const { timeouts, logger } = options;
  const limits = {
    connect: { timeout: timeouts.connectMs },
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
  };
  // Keep-alive connections to subgraphs: no TCP/TLS handshake per subgraph fetch.
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 64, ...limits });
  // Retries go out on connections of their own, each closed after its request (`reset`), never
  // on another kept-alive connection that may be as broken as the one that failed.
  const fresh = new Agent(limits);
  const key = callerKey(options.secret);

  /**
   * One POST, its whole answer collected (a body that stalls is a failure of this attempt, and
   * retried like one). Straight on the dispatcher with a handler of our own: `request()` would
   * wrap every answer in a Readable stream and an async resource to read it back whole.
   */
  function send(
    dispatcher: Dispatcher,
    target: Target,
    headers: Record<string, string>,
    body: string,
    reset: boolean,
  ) {
    return new Promise<{ response: SubgraphResponse; text: string }>((resolve, reject) => {
      let status = 0;
      let rawHeaders: Buffer[] = [];
      const chunks: Buffer[] = [];
      dispatcher.dispatch(
        { origin: target.origin, path: target.path, method: 'POST', headers, body, reset },
        {
          onConnect() {},
          onHeaders(statusCode: number, raw: Buffer[]) {
            // 1xx: informational, the answer is still to come.
            if (statusCode >= 200) [status, rawHeaders] = [statusCode, raw];
            return true;
          },
          onData(chunk: Buffer) {
            chunks.push(chunk);
            return true;
          },
          onComplete() {
            const text =
              chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
            resolve({ response: responseOf(target.url, status, headersOf(rawHeaders), text), text });
          },
          onError: reject,
        } as Dispatcher.DispatchHandler,
      );
    });
  }

  /** Sends one request (a single operation or a batch), again once on a fresh connection if it broke. */
  async function sendWithRetry(target: Target, pending: PendingFetch[]) {
    // The first fetch's headers without the internal markers (copied, not deleted from: an object
    // properties were deleted from is slower for undici to walk).
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(pending[0]!.headers))
      if (name !== RETRYABLE_HEADER && name !== BATCH_HEADER) headers[name] = value;
    // A batch may go out twice only if every operation in it may (all queries).
    const retryable = pending.every((p) => p.headers[RETRYABLE_HEADER] === 'true');
    const body = pending.length === 1 ? pending[0]!.body : `[${pending.map((p) => p.body).join(',')}]`;
    const claims = headers[CALLER_HEADER];
    if (claims) headers[CALLER_HEADER] = sealCaller(claims, key, body);
    try {
      return await send(agent, target, headers, body, false);
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!retryable || !code || !CONNECTION_FAILURES.has(code)) throw err;
      logger.warn(
        { requestId: headers[REQUEST_ID_HEADER], subgraph: target.url, code },
        'subgraph connection failed: sending the query again on a fresh connection',
      );
      return await send(fresh, target, headers, body, true);
    }
  }

  async function flush(target: Target, pending: PendingFetch[]) {
    try {
      const { response, text } = await sendWithRetry(target, pending);
      if (pending.length === 1) pending[0]!.resolve(response);
      else splitBatch(response, text, pending.length).forEach((r, i) => pending[i]!.resolve(r));
    } catch (err) {
      for (const p of pending) p.reject(err);
    }
  }

  // Fetches of one client request to one subgraph that the plan runs in parallel wait for the end
  // of the current turn and go out as one batched request.
  const waiting = new Map<string, PendingFetch[]>();

  return {
    agent,
    fetcher(url) {
      const { origin, pathname, search } = new URL(url);
      const target: Target = { url, origin, path: `${pathname}${search}` };
      const fetcher = (_url: string, init: { headers: Record<string, string>; body: string }) =>
        new Promise<SubgraphResponse>((resolve, reject) => {
          const headers = init.headers;
          const entry = { headers, body: init.body, resolve, reject };
          const batch = headers[BATCH_HEADER];
          if (!batch) return void flush(target, [entry]);
          const group = `${url} ${batch}`;
          const pending = waiting.get(group);
          if (pending && pending.length < MAX_BATCHED_OPERATIONS) {
            pending.push(entry);
            return;
          }
          const opened = [entry];
          waiting.set(group, opened);
          setImmediate(() => {
            if (waiting.get(group) === opened) waiting.delete(group);
            void flush(target, opened);
          });
        });
      return fetcher as unknown as typeof fetch;
    },
    async close() {
      await Promise.all([agent.close(), fresh.close()]);
    },
  };
}

/** Queries are safe to send twice; the planner prints a subgraph operation keyword first. */
export function isQuery(operation: string | undefined): boolean {
  return operation !== undefined && /^(?:query\b|\{)/.test(operation);
}
