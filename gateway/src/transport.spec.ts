import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALLER_HEADER,
  callerClaims,
  callerKey,
  createLogger,
  DEFAULT_METRICS_PORT,
  REQUEST_ID_HEADER,
  verifyCaller,
} from '@moim/kit';
import { loadGatewayEnv } from './env';
import {
  BATCH_HEADER,
  createSubgraphTransport,
  isQuery,
  MAX_BATCHED_OPERATIONS,
  RETRYABLE_HEADER,
} from './transport';

const base = { JWT_SECRET: 'j'.repeat(32), INTERNAL_SECRET: 'i'.repeat(32) };

describe('the gateway transport', () => {
  it('retries only queries: the operations the planner prints for subgraphs', () => {
    for (const op of [
      '{feed{edges{cursor}}}',
      'query($a:String){feed(after:$a){edges{cursor}}}',
      'query Q__review__0{a}',
    ])
      expect(isQuery(op)).toBe(true);
    for (const op of ['mutation{hideReview(id:"1"){id}}', 'subscription{x}', 'queryish', '', undefined])
      expect(isQuery(op)).toBe(false);
  });

  it('waits for subgraphs well under a client’s patience, configurably', () => {
    expect(loadGatewayEnv(base)).toMatchObject({
      SUBGRAPH_CONNECT_TIMEOUT_MS: 2_000,
      SUBGRAPH_HEADERS_TIMEOUT_MS: 10_000,
      SUBGRAPH_BODY_TIMEOUT_MS: 10_000,
    });
    expect(loadGatewayEnv({ ...base, SUBGRAPH_HEADERS_TIMEOUT_MS: '500' }).SUBGRAPH_HEADERS_TIMEOUT_MS).toBe(
      500,
    );
  });

  it('serves /metrics on an internal port in production, on the main port otherwise', () => {
    expect(loadGatewayEnv({ ...base, NODE_ENV: 'production' }).METRICS_PORT).toBe(DEFAULT_METRICS_PORT);
    expect(loadGatewayEnv({ ...base, NODE_ENV: 'production', METRICS_PORT: '9100' }).METRICS_PORT).toBe(9100);
    expect(loadGatewayEnv(base).METRICS_PORT).toBeUndefined();
    expect(loadGatewayEnv({ ...base, METRICS_PORT: '9100' }).METRICS_PORT).toBe(9100);
    // The main port itself: one server.
    expect(
      loadGatewayEnv({ ...base, NODE_ENV: 'production', PORT: '8080', METRICS_PORT: '8080' }).METRICS_PORT,
    ).toBeUndefined();
  });
});

describe('the gateway transport batching parallel fetches', () => {
  const secret = 's'.repeat(32);
  const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  // A subgraph stand-in that answers each operation with its own query text, as an array for a batch.
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const parsed = JSON.parse(body) as { query: string } | Array<{ query: string }>;
      const answer = (op: { query: string }) => ({ data: { echo: op.query } });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)));
    });
  });
  let url: string;
  const transport = createSubgraphTransport({
    secret,
    timeouts: { connectMs: 1000, headersMs: 1000, bodyMs: 1000 },
    logger: createLogger('test', 'silent'),
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await transport.close();
    server.close();
  });

  const claims = callerClaims({ userId: null, role: null, ip: '10.0.0.1', requestId: 'r' }, 'social');
  const call = (batch: string | null, query: string, retryable = true) =>
    (transport.fetcher(url) as unknown as (u: string, init: object) => Promise<{ json(): Promise<unknown> }>)(
      url,
      {
        headers: {
          'content-type': 'application/json',
          [REQUEST_ID_HEADER]: 'the-same-for-all',
          ...(batch ? { [BATCH_HEADER]: batch } : {}),
          [CALLER_HEADER]: claims,
          ...(retryable ? { [RETRYABLE_HEADER]: 'true' } : {}),
        },
        body: JSON.stringify({ query }),
      },
    ).then((r) => r.json());

  it('sends the parallel fetches of one client request as one signed batch and gives each its own answer', async () => {
    received.length = 0;
    const answers = await Promise.all([
      call('req-1', '{ a }'),
      call('req-1', '{ b }'),
      call('req-1', '{ c }'),
    ]);
    expect(answers).toEqual([
      { data: { echo: '{ a }' } },
      { data: { echo: '{ b }' } },
      { data: { echo: '{ c }' } },
    ]);
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    expect(JSON.parse(body)).toEqual([{ query: '{ a }' }, { query: '{ b }' }, { query: '{ c }' }]);
    // The caller signature covers the batch exactly as sent; the internal markers never leave.
    expect(headers[RETRYABLE_HEADER]).toBeUndefined();
    expect(headers[BATCH_HEADER]).toBeUndefined();
    const verified = verifyCaller(
      headers[CALLER_HEADER] as string,
      callerKey(secret),
      'social',
      Buffer.from(body),
    );
    expect(verified).toMatchObject({ ip: '10.0.0.1' });
  });

  it('never mixes client requests (whatever request id they claim), and sends a lone fetch as it is', async () => {
    received.length = 0;
    await Promise.all([
      call('req-2', '{ a }'),
      call('req-3', '{ b }'),
      call(null, '{ c }'),
      call(null, '{ d }'),
    ]);
    const bodies = received.map((r) => (JSON.parse(r.body) as { query: string }).query);
    expect(bodies.sort()).toEqual(['{ a }', '{ b }', '{ c }', '{ d }']);
  });

  it('caps a batch at MAX_BATCHED_OPERATIONS', async () => {
    received.length = 0;
    const many = Array.from({ length: MAX_BATCHED_OPERATIONS + 1 }, (_, i) => call('req-4', `{ f${i} }`));
    const answers = (await Promise.all(many)) as Array<{ data: { echo: string } }>;
    expect(answers.map((a) => a.data.echo)).toEqual(many.map((_, i) => `{ f${i} }`));
    const sizes = received.map((r) => {
      const body = JSON.parse(r.body) as unknown;
      return Array.isArray(body) ? body.length : 1;
    });
    expect(sizes.sort((a, b) => a - b)).toEqual([1, MAX_BATCHED_OPERATIONS]);
  });
});

describe('a subgraph answer', () => {
  it('is read whole: a character split between chunks, repeated headers, an early hint first', async () => {
    const body = Buffer.from(JSON.stringify({ data: { echo: '한국어 리뷰' } }));
    // Inside the first Korean character (three bytes in UTF-8).
    const cut = body.indexOf(Buffer.from('한')) + 1;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeEarlyHints({ link: '</x>; rel=preload' });
        res.writeHead(200, [
          ['content-type', 'application/json'],
          ['x-seen', 'one'],
          ['x-seen', 'two'],
        ] as unknown as Record<string, string>);
        res.write(body.subarray(0, cut));
        setTimeout(() => res.end(body.subarray(cut)), 20);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const transport = createSubgraphTransport({
      secret: 's'.repeat(32),
      timeouts: { connectMs: 1000, headersMs: 1000, bodyMs: 1000 },
      logger: createLogger('test', 'silent'),
    });
    try {
      const response = await (
        transport.fetcher(url) as unknown as (
          u: string,
          init: object,
        ) => Promise<{
          status: number;
          headers: { get(name: string): string | null };
          json(): Promise<unknown>;
        }>
      )(url, { headers: { 'content-type': 'application/json' }, body: '{"query":"{ echo }"}' });
      expect(response.status).toBe(200);
      expect(response.headers.get('X-Seen')).toBe('one, two');
      expect(await response.json()).toEqual({ data: { echo: '한국어 리뷰' } });
    } finally {
      await transport.close();
      server.close();
    }
  });
});
