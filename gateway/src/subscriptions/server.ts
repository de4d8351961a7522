import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import {
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  getVariableValues,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLFormattedError,
} from 'graphql';
import { CloseCode, handleProtocols, makeServer, type SubscribePayload } from 'graphql-ws';
import { decodeJwt } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { verifyAccessToken, type Caller, type Logger } from '@moim/kit';
import { checkOperation, checkSource, type Limits } from '../limits';
import type { Ending, Hub, Membership, Subscriber } from './hub';
import type { OpenLive } from './open';
import type { SubscriptionPlanner } from './plan';

export interface SubscriptionLimits {
  /** Open sockets per user (per IP for anonymous ones) on this replica. */
  connectionsPerUser: number;
  subscriptionsPerConnection: number;
  /** A socket with this much unsent data is a slow consumer: it is closed, not buffered further. */
  maxBufferedBytes: number;
  /** Largest client message (a subscribe with its document and variables). */
  maxMessageBytes: number;
  connectionInitTimeoutMs: number;
}

/** How often each socket is pinged; one without a pong by the next ping is dropped. */
const KEEPALIVE_MS = 12_000;

/** Close codes Moim's gateway uses beyond graphql-ws' own (4400, 4403, 4408, 4429, 4500…). */
export const SLOW_CONSUMER = 1013; // "Try again later": clients reconnect and resume with `after`
export const TOO_MANY_CONNECTIONS = 1008; // policy violation: retrying at once would not help

interface Connection {
  caller: Caller;
  socket: WebSocket;
  /** Counted against this key's connection limit (user id, or the IP of an anonymous client). */
  key: string;
  /** This socket's subscriptions by operation id, opening or live: all end with the socket. */
  live: Map<string, LiveIterator>;
  expiry: NodeJS.Timeout | null;
}

/** setTimeout's largest delay; a token living longer is checked again then. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type Context = {
  extra: { socket: WebSocket; request: IncomingMessage };
  connectionParams?: Readonly<Record<string, unknown>>;
};

/** A client subscription's async iterator: it yields nothing but its ending (frames are written directly). */
class LiveIterator implements AsyncGenerator<ExecutionResult> {
  private waiting: ((result: IteratorResult<ExecutionResult>) => void) | null = null;
  private ending: Ending | undefined;
  private finished = false;
  onReturn: () => void = () => {};

  end(ending: Ending) {
    if (this.ending !== undefined || this.finished) return;
    this.ending = ending;
    this.flush();
  }

  private flush() {
    if (!this.waiting || this.ending === undefined) return;
    const resolve = this.waiting;
    this.waiting = null;
    if (this.ending) {
      const { errors } = this.ending;
      this.ending = null;
      // graphql-ws serialises errors with their toJSON: they must be GraphQLErrors.
      const graphqlErrors = errors.map(
        (e) => new GraphQLError(e.message, { extensions: e.extensions ?? {} }),
      );
      resolve({ value: { errors: graphqlErrors }, done: false });
    } else {
      this.finished = true;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.flush();
    });
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.finished = true;
    this.onReturn();
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
    return { value: undefined, done: true };
  }

  async throw(): Promise<IteratorResult<ExecutionResult>> {
    return this.return();
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async [Symbol.asyncDispose]() {
    await this.return();
  }
}

const errorsOf = (err: unknown): GraphQLError[] =>
  err instanceof GraphQLError
    ? [err]
    : [new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];

/** The access token from `connection_init`: `{ authorization: "Bearer …" }` or `{ accessToken }`. */
function tokenOf(params: Readonly<Record<string, unknown>> | undefined): string | null {
  if (!params) return null;
  if (typeof params.accessToken === 'string') return params.accessToken;
  const header = params.authorization ?? params.Authorization;
  if (typeof header !== 'string') return null;
  const [scheme, token] = header.split(' ');
  return scheme === 'Bearer' && token ? token : '';
}

/** Stable text of variables, so the same ones in another key order share a group. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

/**
 * graphql-ws (the `graphql-transport-ws` protocol) on the gateway's own port and `/graphql` path:
 * authentication in `connection_init`, limits, planning, the owning subgraph's consent (`open`),
 * then the hub's shared fan-out. graphql-ws keeps the protocol (init timeout 4408, second init
 * 4429, bad messages 4400, ids, completes); events bypass its per-subscriber execution.
 */
export function serveSubscriptions(options: {
  server: Server;
  path: string;
  planner: () => SubscriptionPlanner;
  hub: Hub;
  open: OpenLive;
  jwtSecret: string;
  limits: SubscriptionLimits & Omit<Limits, 'maxTokens'> & Pick<Limits, 'maxTokens'>;
  clientIp: (req: IncomingMessage) => string | null;
  formatError: (error: GraphQLFormattedError) => GraphQLFormattedError;
  logger: Logger;
}) {
  const { hub, open, limits, logger } = options;
  const connections = new WeakMap<object, Connection>();
  const perKey = new Map<string, number>();
  const wss = new WebSocketServer({
    server: options.server,
    path: options.path,
    maxPayload: limits.maxMessageBytes,
    handleProtocols: (protocols) => handleProtocols(protocols),
  });

  const release = (conn: Connection) => {
    if (conn.expiry) clearTimeout(conn.expiry);
    const left = (perKey.get(conn.key) ?? 1) - 1;
    if (left > 0) perKey.set(conn.key, left);
    else perKey.delete(conn.key);
  };

  const refuse = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];

  /**
   * The parsed and validated document, or its errors. An app subscribes with a handful of
   * documents: thousands of subscribers share one parse and one validation, and one AST in memory.
   */
  const documents = new Map<
    string,
    { planner: SubscriptionPlanner; result: DocumentNode | GraphQLError[] }
  >();
  const checkedDocument = (planner: SubscriptionPlanner, query: string): DocumentNode | GraphQLError[] => {
    const cached = documents.get(query);
    if (cached?.planner === planner) return cached.result;
    let result: DocumentNode | GraphQLError[];
    try {
      checkSource(query, limits);
      const document = parse(query, { maxTokens: limits.maxTokens });
      const invalid = validate(planner.apiSchema, document);
      result = invalid.length
        ? invalid.map(
            (e) =>
              new GraphQLError(e.message, {
                nodes: e.nodes,
                extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
          )
        : document;
    } catch (err) {
      result = errorsOf(
        err instanceof GraphQLError && !err.extensions.code
          ? new GraphQLError(err.message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })
          : err,
      );
    }
    // Bounded: a client inventing documents must not grow the gateway's memory.
    if (documents.size >= 1000) documents.delete(documents.keys().next().value!);
    documents.set(query, { planner, result });
    return result;
  };
  /** What the client sees of an error (production masks internals, as for HTTP). */
  const masked = (error: GraphQLError) => {
    const shown = options.formatError(error.toJSON());
    return new GraphQLError(shown.message, { extensions: shown.extensions ?? {} });
  };
  /** The arguments of a subscription that ended while it was opening: graphql-ws completes it. */
  const endedArgs = (planner: SubscriptionPlanner, document: DocumentNode, iterator: LiveIterator) => {
    iterator.end(null);
    return { schema: planner.apiSchema, document, rootValue: iterator } satisfies ExecutionArgs;
  };

  const server = makeServer<Record<string, unknown> | undefined, Context['extra']>({
    connectionInitWaitTimeout: limits.connectionInitTimeoutMs,
    async onConnect(ctx: Context) {
      const { socket, request } = ctx.extra;
      const ip = options.clientIp(request);
      const token = tokenOf(ctx.connectionParams);
      let caller: Caller = { userId: null, role: null, ip, requestId: 'ws' };
      let expiresAt: number | null = null;
      if (token !== null) {
        try {
          const claims = await verifyAccessToken(token, options.jwtSecret);
          caller = { userId: claims.userId, role: claims.role, ip, requestId: 'ws' };
          const exp = decodeJwt(token).exp;
          expiresAt = typeof exp === 'number' ? exp * 1000 : null;
        } catch (err) {
          socket.close(CloseCode.Forbidden, (err as Error).message);
          return false;
        }
      }
      // The socket may have closed while the token was checked: count nothing for it.
      if (socket.readyState !== socket.OPEN) return false;
      const key = caller.userId ?? `ip:${ip}`;
      const count = perKey.get(key) ?? 0;
      if (count >= limits.connectionsPerUser) {
        socket.close(TOO_MANY_CONNECTIONS, `Too many connections (at most ${limits.connectionsPerUser})`);
        return false;
      }
      perKey.set(key, count + 1);
      const conn: Connection = { caller, socket, key, live: new Map(), expiry: null };
      connections.set(ctx, conn);
      if (expiresAt !== null) {
        const expire = () => {
          const left = expiresAt - Date.now();
          if (left > 0) conn.expiry = setTimeout(expire, Math.min(left, MAX_TIMER_MS));
          else socket.close(CloseCode.Forbidden, 'Access token expired: reconnect with a fresh one');
        };
        expire();
      }
      return true;
    },
    onClose(ctx: Context) {
      const conn = connections.get(ctx);
      if (!conn) return;
      connections.delete(ctx);
      release(conn);
      for (const iterator of [...conn.live.values()]) void iterator.return();
    },

    async onSubscribe(ctx: Context, id: string, payload: SubscribePayload) {
      const conn = connections.get(ctx);
      if (!conn) return refuse('The connection is closing', 'BAD_REQUEST');
      // graphql-ws accepts an id again once the client completed it, even while its first
      // subscription is still opening: that one ends now.
      await conn.live.get(id)?.return();
      if (typeof payload.query !== 'string' || !payload.query.trim())
        return refuse('The subscribe message has no query', 'BAD_REQUEST');
      if (conn.live.size >= limits.subscriptionsPerConnection)
        return refuse(
          `Too many subscriptions on this connection (at most ${limits.subscriptionsPerConnection})`,
          'RATE_LIMITED',
        );
      const planner = options.planner();
      const checked = checkedDocument(planner, payload.query);
      if (checked instanceof Array) return checked;
      const document = checked;
      const operationName = payload.operationName ?? undefined;
      const operation = getOperationAST(document, operationName);
      if (!operation) return refuse('No operation of that name in the document', 'BAD_USER_INPUT');
      if (operation.operation !== 'subscription')
        return refuse(
          'Only subscriptions over WebSocket: send queries and mutations over HTTP',
          'BAD_REQUEST',
        );
      const rawVariables = payload.variables ?? {};
      const fragments = Object.fromEntries(
        document.definitions
          .filter((d): d is FragmentDefinitionNode => d.kind === 'FragmentDefinition')
          .map((d) => [d.name.value, d]),
      );
      const coerced = getVariableValues(planner.apiSchema, operation.variableDefinitions ?? [], rawVariables);
      if (coerced.errors?.length)
        return coerced.errors.map(
          (e) => new GraphQLError(e.message, { extensions: { code: 'BAD_USER_INPUT' } }),
        );
      let plan;
      try {
        checkOperation(planner.apiSchema, operation, fragments, rawVariables, limits);
        plan = planner.plan(document, payload.query, operationName, coerced.coerced!);
      } catch (err) {
        return errorsOf(err).map(masked);
      }

      // The owning subgraph decides whether this caller may listen, and where events travel.
      const caller: Caller = { ...conn.caller, requestId: `ws-${randomUUID()}` };
      const since = Date.now();
      const iterator = new LiveIterator();
      conn.live.set(id, iterator);
      let membership: Membership | null = null;
      let done = false;
      // Whichever way it ends (the client's complete, the socket, a revoke, an error), once.
      const finish = () => {
        membership?.leave();
        membership = null;
        if (done) return;
        done = true;
        if (conn.live.get(id) === iterator) conn.live.delete(id);
      };
      iterator.onReturn = finish;
      const frameHead = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
      const subscriber: Subscriber = {
        userId: caller.userId,
        write(json) {
          if (conn.socket.readyState !== conn.socket.OPEN) return;
          if (conn.socket.bufferedAmount > limits.maxBufferedBytes) {
            // Its subscriptions end now, not when the close handshake it cannot read completes.
            conn.socket.close(SLOW_CONSUMER, 'Slow consumer: too many undelivered events');
            for (const live of [...conn.live.values()]) void live.return();
            return;
          }
          conn.socket.send(`${frameHead}${json}}`);
        },
        end(ending) {
          finish();
          iterator.end(ending);
        },
      };
      try {
        const opening = await open(plan.subgraph, plan.field, plan.args, caller);
        if (done) return endedArgs(planner, document, iterator);
        const key = `${planner.version}\n${operationName ?? ''}\n${payload.query}\n${stableJson(plan.variables)}`;
        const joined = await hub.join(opening.channel, key, plan, subscriber, { since, head: opening.head });
        membership = joined.membership;
        if (done) {
          finish();
          return endedArgs(planner, document, iterator);
        }
        if (joined.revoked) throw new GraphQLError(joined.revoked, { extensions: { code: 'FORBIDDEN' } });
        let backlog = opening.backlog ?? [];
        if (joined.mayHaveMissed && opening.head !== undefined) {
          // Events after the backlog may have passed this replica before the subscriber joined
          // (it was not listening yet, or one already came): ask for them now that it is in.
          const again = await open(plan.subgraph, plan.field, plan.args, caller, opening.head);
          backlog = [...backlog, ...(again.backlog ?? [])];
        }
        await membership?.start(backlog);
      } catch (err) {
        finish();
        return errorsOf(err).map(masked);
      }
      const args: ExecutionArgs = {
        schema: planner.apiSchema,
        document,
        operationName,
        variableValues: rawVariables,
        rootValue: iterator,
      };
      return args;
    },
    // Events never go through graphql-ws' execution: the hub writes them.
    subscribe: (args: ExecutionArgs) => args.rootValue as LiveIterator,
  });

  // graphql-ws' own `ws` glue, with our logger and limits: a socket error (an oversize frame,
  // 1009) is the client's doing and is logged as such, not printed to stderr.
  wss.on('connection', (socket, request) => {
    socket.on('error', (err) => logger.info({ err: err.message }, 'websocket closed on a client error'));
    let alive = true;
    socket.on('pong', () => void (alive = true));
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate(); // no pong since the last ping: the peer is gone
      alive = false;
      socket.ping();
    }, KEEPALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, () => resolve());
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', async (data) => {
            try {
              await cb(String(data));
            } catch (err) {
              logger.error({ err }, 'websocket message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearInterval(heartbeat);
      void closed(code, String(reason));
    });
  });
  wss.on('error', (err) => logger.error({ err }, 'websocket server error'));

  return {
    connections: () => wss.clients.size,
    async close() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
