import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceName } from '@moim/events';
import { CALLER_HEADER } from '@moim/kit';
import { closedPort, startTcpProxy } from '@moim/kit/testing';
import { postRaw, startGraph, type Graph } from '../src';

// The transport between client, gateway and subgraphs, end to end on each backend: bodies that
// must not stall connections, subgraphs that fail or stall, the caller signature bound to the
// body, /metrics kept off the public port in production, and the supergraph reloaded from its file.

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

const FEED = 'query($after: String) { feed(tab: LATEST, first: 1, after: $after) { edges { cursor } } }';

const post = postRaw;

/** A second gateway in front of the graph's subgraphs, some of them reached through `urls`. */
const gatewayTo = (urls: Partial<Record<ServiceName, string>>, env: Record<string, string> = {}) =>
  graph.anotherGateway({ urls, env });

/**
 * A TCP proxy to a subgraph that drops the connection of each of the next `drops` requests
 * (at their first bytes), as a subgraph that restarts or resets connections does.
 */
async function droppingProxy(target: string) {
  const { hostname, port, pathname } = new URL(target);
  const sockets = new Set<Socket>();
  const state = { drops: 0, dropped: 0 };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      if (state.drops > 0) {
        state.drops--;
        state.dropped++;
        client.destroy();
      } else upstream.write(chunk);
    });
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    state,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${pathname}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('connections a request cannot poison', () => {
  it('answers ordinary requests after requests whose cursor is 400 kB of invalid UTF-8', async () => {
    const [head, tail] = JSON.stringify({ query: FEED, variables: { after: '@' } }).split('@') as [
      string,
      string,
    ];
    const poisoned = Buffer.concat([Buffer.from(head), Buffer.alloc(400_000, 0xff), Buffer.from(tail)]);
    const refused = await Promise.all([1, 2, 3, 4].map(() => post(graph.url, poisoned)));
    const ordinary = await Promise.all(
      Array.from({ length: 8 }, () => graph.gql<{ feed: { edges: unknown[] } }>(FEED, { after: null })),
    );
    // Each within the test's timeout (a stalled connection used to hold them ~66 s), and:
    for (const res of ordinary) {
      expect(res.status).toBe(200);
      expect(res.errors).toBeUndefined();
      expect(res.data.feed.edges).toBeInstanceOf(Array);
    }
    // Refused at the gateway, before a re-encoded copy three times as large reaches review.
    for (const res of refused)
      expect(res).toMatchObject({ status: 400, text: '{"error":"Request body is not valid UTF-8"}' });
  });
});

describe('subgraphs that fail or stall', () => {
  it('sends a query again, once, on a fresh connection when its connection drops; never a mutation', async () => {
    const proxy = await droppingProxy(graph.subgraphUrl('review'));
    const { gateway, url } = await gatewayTo({ review: proxy.url });
    try {
      const admin = await graph.makeAdmin((await graph.signUp('dropper')).id);
      const gql = async (query: string, variables: object = {}) =>
        JSON.parse(
          (await post(url, JSON.stringify({ query, variables }), { authorization: `Bearer ${admin}` })).text,
        ) as { data?: Record<string, { id: string; hidden: boolean } | null>; errors?: unknown[] };

      const CREATE_PLACE =
        'mutation { createPlace(input: { name: "Drop Inn", category: "bar", address: "Seoul", latitude: 37.5, longitude: 127 }) { id } }';
      proxy.state.drops = 1;
      const lost = await gql(CREATE_PLACE);
      // Not sent again: a second attempt would have gone through.
      expect(lost.errors).toHaveLength(1);
      expect(lost.data ?? null).toBeNull();
      expect(proxy.state).toEqual({ drops: 0, dropped: 1 });

      const created = await gql(CREATE_PLACE);
      expect(created.errors).toBeUndefined();
      const placeId = created.data!.createPlace!.id;

      // The query's connection (the one kept alive since) drops: it is sent again and answered.
      proxy.state.drops = 1;
      const read = await gql('query($id: ID!) { place(id: $id) { id } }', { id: placeId });
      expect(read.errors).toBeUndefined();
      expect(read.data!.place!.id).toBe(placeId);
      expect(proxy.state).toEqual({ drops: 0, dropped: 2 });
    } finally {
      await gateway.stop();
      await proxy.close();
    }
  });

  it('fails a query within the subgraph timeouts when a subgraph does not answer', async () => {
    const proxy = await startTcpProxy(Number(new URL(graph.subgraphUrl('review')).port));
    const { gateway, url } = await gatewayTo(
      { review: `${proxy.url('http')}/graphql` },
      { SUBGRAPH_HEADERS_TIMEOUT_MS: '1000', SUBGRAPH_BODY_TIMEOUT_MS: '1000' },
    );
    try {
      proxy.pause();
      const res = await post(url, JSON.stringify({ query: FEED }));
      // Answered, with an error and no data, instead of hanging for undici's default 300 s.
      const body = JSON.parse(res.text) as { data?: unknown; errors?: unknown[] };
      expect(body.data ?? null).toBeNull();
      expect(body.errors?.length).toBeGreaterThan(0);
      // Sent once: a subgraph that has the query and is slow does not get it twice.
      expect(proxy.connections()).toBe(1);
      proxy.resume();
      expect((await post(url, JSON.stringify({ query: FEED }))).status).toBe(200);
    } finally {
      await gateway.stop();
      await proxy.close();
    }
  });
});

describe('the caller signature', () => {
  it('is good only with the body it was signed for: an admin read replayed as hideReview is refused', async () => {
    const author = await graph.signUp('signer');
    const admin = await graph.makeAdmin((await graph.signUp('replayed')).id);
    const place = await graph.gql<{ createPlace: { id: string } }>(
      'mutation { createPlace(input: { name: "Cafe Replay", category: "cafe", address: "Seoul", latitude: 37.5, longitude: 127 }) { id } }',
      {},
      author.token,
    );
    const review = await graph.gql<{ createReview: { id: string } }>(
      'mutation($input: CreateReviewInput!) { createReview(input: $input) { id } }',
      { input: { kind: 'SOSOLOG', body: 'fine coffee', rating: 4, placeId: place.data.createPlace.id } },
      author.token,
    );
    const id = review.data.createReview.id;

    // The admin reads the review; the header on its way to review is captured.
    const captured: string[] = [];
    const capture = (req: IncomingMessage) => captured.push(String(req.headers[CALLER_HEADER]));
    graph.service('review').http.server.on('request', capture);
    const read = await graph.gql('query($id: ID!) { review(id: $id) { id hidden } }', { id }, admin);
    graph.service('review').http.server.off('request', capture);
    expect(read.errors).toBeUndefined();
    expect(captured).toHaveLength(1);

    const replay = await post(
      graph.subgraphUrl('review'),
      JSON.stringify({ query: `mutation { hideReview(id: "${id}") { id hidden } }` }),
      { [CALLER_HEADER]: captured[0]! },
    );
    expect(replay.status).toBe(401);
    expect(JSON.parse(replay.text)).toMatchObject({
      errors: [{ extensions: { code: 'UNAUTHENTICATED' } }],
    });
    const after = await graph.gql<{ review: { hidden: boolean } }>(
      'query($id: ID!) { review(id: $id) { hidden } }',
      { id },
      admin,
    );
    expect(after.data.review.hidden).toBe(false);

    // Through the gateway, the admin's own hideReview is signed for its own body and works.
    const hidden = await graph.gql<{ hideReview: { hidden: boolean } }>(
      'mutation($id: ID!) { hideReview(id: $id) { hidden } }',
      { id },
      admin,
    );
    expect(hidden.errors).toBeUndefined();
    expect(hidden.data.hideReview.hidden).toBe(true);
  });
});

describe('operations endpoints in production', () => {
  it('serves /metrics on the internal metrics port, not on the public one, and readiness without internals', async () => {
    const { gateway, url } = await gatewayTo({}, { NODE_ENV: 'production', METRICS_PORT: '0' });
    try {
      expect((await post(url, JSON.stringify({ query: '{ __typename }' }))).status).toBe(200);
      const publicMetrics = await fetch(new URL('/metrics', url));
      expect(publicMetrics.status).toBe(404);
      const metricsUrl = gateway.http.metricsUrl();
      expect(new URL(metricsUrl).port).not.toBe(new URL(url).port);
      const internal = await fetch(metricsUrl);
      expect(internal.status).toBe(200);
      expect(await internal.text()).toMatch(
        /http_request_duration_seconds_count\{[^}]*route="\/graphql"[^}]*status="200"\} [1-9]/,
      );
      // Readiness stays public for load balancers, without naming the subgraphs behind it.
      expect(await (await fetch(new URL('/health/ready', url))).json()).toEqual({ status: 'ok' });
    } finally {
      await gateway.stop();
    }
  });
});

describe('gateway readiness', () => {
  it('stays ready when a subgraph is down, and reports it (one subgraph must not take the graph down)', async () => {
    const port = await closedPort();
    const { url } = await gatewayTo({ chat: `http://127.0.0.1:${port}/graphql` });
    const res = await fetch(new URL('/health/ready', url));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('ok');
    expect(body.checks.review).toBe('ok');
    expect(body.checks.chat).not.toBe('ok');
  });
});

describe('the supergraph file (a ConfigMap in Kubernetes)', () => {
  const committed = readFileSync(
    fileURLToPath(new URL('../../../gateway/supergraph.graphql', import.meta.url)),
    'utf8',
  );
  const TITLE = '  title: String @join__field(graph: REVIEW)\n';
  const QUERY = '{ feed(tab: LATEST, first: 1) { edges { node { id title } } } }';

  it('is reloaded when it changes, without a restart; a broken one leaves the last good one serving', async () => {
    expect(committed).toContain(TITLE);
    const dir = mkdtempSync(join(tmpdir(), 'moim-supergraph-'));
    const path = join(dir, 'supergraph.graphql');
    try {
      // The previous schema: Review without its title.
      writeFileSync(path, committed.replace(TITLE, ''));
      const { url } = await graph.anotherGateway({
        env: { SUPERGRAPH_PATH: path, SUPERGRAPH_POLL_SECONDS: '0.05' },
      });
      const ask = async () => (await post(url, JSON.stringify({ query: QUERY }))).json!;
      const before = await ask();
      expect(before.errors?.[0]?.message).toMatch(/Cannot query field "title" on type "Review"/);

      writeFileSync(path, committed);
      await expect.poll(async () => (await ask()).errors, { timeout: 5000, interval: 50 }).toBeUndefined();

      writeFileSync(path, 'type Query { broken');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = await ask();
      expect(after.errors).toBeUndefined();
      expect(after.data).toMatchObject({ feed: { edges: expect.any(Array) } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
