import type { IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { ApolloServer, type BaseContext } from '@apollo/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, requestIdOf, type HttpApp } from './http';
import { createLogger } from './logger';
import { createMetrics } from './metrics';

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw HTTP/1.1 connection, to see what the server does with the connection itself. */
function rawConnection(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let buffered = Buffer.alloc(0);
  let waiting: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    waiting?.();
  });
  socket.on('error', () => {});
  // Resolves when the server ends or closes the connection; a kept-alive one never does.
  const closed = new Promise<true>((resolve) => socket.once('close', () => resolve(true)));
  return {
    socket,
    closed,
    send: (head: string, body: Buffer | string = '') =>
      socket.write(Buffer.concat([Buffer.from(head), Buffer.from(body)])),
    /** The next complete response (it has a content-length). */
    async response(): Promise<Response> {
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end >= 0) {
          const [statusLine, ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
          const headers = Object.fromEntries(
            lines.map((line) => {
              const at = line.indexOf(':');
              return [line.slice(0, at).toLowerCase(), line.slice(at + 1).trim()];
            }),
          );
          const length = Number(headers['content-length']);
          if (buffered.length >= end + 4 + length) {
            const body = buffered.subarray(end + 4, end + 4 + length).toString('utf8');
            buffered = buffered.subarray(end + 4 + length);
            return { status: Number(statusLine!.split(' ')[1]), headers, body };
          }
        }
        await new Promise<void>((resolve) => {
          waiting = resolve;
          socket.once('close', resolve);
        });
        if (socket.destroyed && buffered.indexOf('\r\n\r\n') < 0)
          throw new Error('closed without a response');
      }
    },
  };
}

const post = (length: number) =>
  `POST /graphql HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`;

let app: HttpApp;
let port: number;
const bodiesSeen: Buffer[] = [];
beforeAll(async () => {
  const apollo = new ApolloServer<BaseContext>({
    typeDefs: 'type Query { hello(name: String): String! }',
    resolvers: { Query: { hello: (_: unknown, { name }: { name?: string }) => `hi ${name ?? ''}` } },
  });
  await apollo.start();
  app = createHttpApp({
    logger: createLogger('http-spec', 'silent'),
    metrics: createMetrics('http-spec'),
    graphql: {
      path: '/graphql',
      apollo,
      context: async (_req, _id, body) => {
        bodiesSeen.push(body);
        return {};
      },
    },
    readiness: [],
  });
  port = Number(new URL(await app.listen(0, '127.0.0.1')).port);
});
afterAll(() => app?.close(0));

describe('request bodies a server refuses', () => {
  it('keeps the connection of well-formed requests, and hands the exact body bytes to the context', async () => {
    const conn = rawConnection(port);
    const body = Buffer.from(JSON.stringify({ query: '{ hello(name: "모임") }' }));
    for (let i = 0; i < 2; i++) {
      conn.send(post(body.length), body);
      expect(await conn.response()).toMatchObject({ status: 200, body: '{"data":{"hello":"hi 모임"}}\n' });
    }
    expect(bodiesSeen.at(-1)).toEqual(body);
    conn.socket.destroy();
  });

  it('answers a body over 1 MB with 413 and closes the connection instead of leaving it half-read', async () => {
    const conn = rawConnection(port);
    const body = Buffer.concat([
      Buffer.from('{"query":"{ hello }","x":"'),
      Buffer.alloc(1_200_000, 'a'),
      Buffer.from('"}'),
    ]);
    conn.send(post(body.length), body);
    const res = await conn.response();
    expect(res).toMatchObject({ status: 413, body: '{"error":"Request body too large"}' });
    expect(res.headers.connection).toBe('close');
    expect(await conn.closed).toBe(true);
  });

  it('closes at once on a body declared far over the limit, without reading it', async () => {
    const conn = rawConnection(port);
    conn.send(post(50_000_000), Buffer.alloc(10_000, 'a'));
    expect(await conn.response()).toMatchObject({ status: 413, headers: { connection: 'close' } });
    expect(await conn.closed).toBe(true);
  });

  it.each([
    [
      'invalid UTF-8',
      Buffer.from([...Buffer.from('{"query":"{ hello(name: \\"'), 0xff, 0xfe, ...Buffer.from('\\") }"}')]),
      'Request body is not valid UTF-8',
    ],
    [
      'overlong UTF-8',
      Buffer.from([...Buffer.from('{"query":"{ hello }","x":"'), 0xc0, 0xaf, ...Buffer.from('"}')]),
      'Request body is not valid UTF-8',
    ],
    ['invalid JSON', Buffer.from('{"query":'), 'Request body is not valid JSON'],
  ])('answers %s with 400 and closes the connection', async (_name, body, error) => {
    const conn = rawConnection(port);
    conn.send(post(body.length), body);
    const res = await conn.response();
    expect(res).toMatchObject({ status: 400, body: JSON.stringify({ error }) });
    expect(res.headers.connection).toBe('close');
    expect(await conn.closed).toBe(true);
  });
});

describe('request ids', () => {
  const idOf = (value: string | string[] | undefined) =>
    requestIdOf({ headers: { 'x-request-id': value } } as unknown as IncomingMessage);
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it('keeps a well-formed x-request-id', () => {
    for (const id of ['trace-me-42', 'a', 'A.b_c-9', '0'.repeat(64), '3f1c2a9e-6a0b-4d1e-9c7a-0b6f4f8e2d11'])
      expect(idOf(id)).toBe(id);
  });

  it('replaces a missing or malformed one with a fresh UUID', () => {
    for (const id of [
      undefined,
      '',
      '0'.repeat(65),
      'has space',
      'new\\nline',
      '<script>',
      'ünïcode',
      'a,b',
      '${jndi:x}',
    ])
      expect(idOf(id)).toMatch(UUID);
    expect(idOf(['one', 'two'])).toMatch(UUID);
  });
});

describe('metrics', () => {
  it('are served on the main port unless the app has a metrics port', async () => {
    expect((await fetch(app.metricsUrl())).status).toBe(200);
    expect(new URL(app.metricsUrl()).port).toBe(String(port));
    const apollo = new ApolloServer<BaseContext>({ typeDefs: 'type Query { a: Int }' });
    await apollo.start();
    const internal = createHttpApp({
      logger: createLogger('http-spec', 'silent'),
      metrics: createMetrics('http-spec'),
      graphql: { path: '/graphql', apollo, context: async () => ({}) },
      readiness: [],
      metricsPort: 0,
    });
    const base = await internal.listen(0, '127.0.0.1');
    try {
      expect((await fetch(`${base}/metrics`)).status).toBe(404);
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      expect(new URL(internal.metricsUrl()).port).not.toBe(new URL(base).port);
      const metrics = await fetch(internal.metricsUrl());
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^process_cpu_user_seconds_total\{service="http-spec"\} /m);
      expect((await fetch(new URL('/health/live', internal.metricsUrl()))).status).toBe(404);
    } finally {
      await internal.close(0);
      await apollo.stop();
    }
  });
});

describe('the request log line', () => {
  it('is at debug for a quick success, at info for a refused, failed or slow request', async () => {
    const lines: string[] = [];
    const apollo = new ApolloServer<BaseContext>({
      typeDefs: 'type Query { quick: Int! slow: Int! }',
      resolvers: {
        Query: { quick: () => 1, slow: () => new Promise((resolve) => setTimeout(() => resolve(2), 60)) },
      },
    });
    await apollo.start();
    const logged = createHttpApp({
      logger: createLogger('http-log-spec', 'debug', { write: (line: string) => void lines.push(line) }),
      metrics: createMetrics('http-log-spec'),
      graphql: { path: '/graphql', apollo, context: async () => ({}) },
      readiness: [],
      slowRequestMs: 50,
    });
    const url = `${await logged.listen(0, '127.0.0.1')}/graphql`;
    const send = (body: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const requestLines = () =>
      lines
        .map((l) => JSON.parse(l) as { msg: string; level: number; status: number })
        .filter((l) => l.msg === 'request');
    try {
      expect((await send('{"query":"{ quick }"}')).status).toBe(200);
      expect((await send('{"query":"{ slow }"}')).status).toBe(200);
      expect((await send('{"query": nope')).status).toBe(400);
      const [quick, slow, refused] = requestLines();
      expect(quick).toMatchObject({ level: 20, status: 200 });
      expect(slow).toMatchObject({ level: 30, status: 200 });
      expect(refused).toMatchObject({ level: 30, status: 400 });
    } finally {
      await logged.close(0);
    }
  });
});
