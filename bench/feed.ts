/**
 * Feed benchmark: the LATEST feed through the gateway against the review subgraph called
 * directly (the baseline), plus a deep keyset page, all in one run on one seeded graph.
 *
 *   npx tsx bench/feed.ts [--seconds 10] [--concurrency 16]
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { CALLER_HEADER, createLogger, signCaller } from '@moim/kit';
import { eventually, TEST_SECRET } from '@moim/kit/testing';
import { startGraph, type GqlResult } from '../gateway/test/harness';
import { demoFollowsApplied, seedDemo } from '../scripts/seed/seed';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '16' } },
});
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
if (!(SECONDS > 0) || !Number.isInteger(CONCURRENCY) || CONCURRENCY < 1) {
  throw new Error('usage: npx tsx bench/feed.ts [--seconds 10] [--concurrency 16]');
}
const WARMUP_MS = 1_000;
const MAX_REQUESTS = 200_000; // a hard cap, so a very fast target cannot fill memory with latencies
const PAGE = 20;

const GATEWAY_QUERY = `query Feed($after: String) { feed(tab: LATEST, first: ${PAGE}, after: $after) {
  edges { node { id title rating author { nickname } } } } }`;
// The review subgraph alone cannot resolve nickname (social owns it); author { id } is its part.
const DIRECT_QUERY = `{ feed(tab: LATEST, first: ${PAGE}) { edges { node { id title rating author { id } } } } }`;

interface Target {
  name: string;
  url: string;
  body: string;
  headers: () => Record<string, string>;
}
interface Result {
  name: string;
  requests: number;
  errors: number;
  seconds: number;
  latencies: number[];
  firstError?: string;
}

// One keep-alive pool for every scenario: no connection setup inside the measured loop.
const agent = new Agent({ keepAliveTimeout: 30_000, connections: CONCURRENCY });

/** Sends one operation; returns an error message, or null when the response is a full page. */
async function once(t: Target): Promise<string | null> {
  const res = await request(t.url, { method: 'POST', headers: t.headers(), body: t.body, dispatcher: agent });
  const json = (await res.body.json()) as { data?: { feed?: { edges: unknown[] } }; errors?: unknown[] };
  if (res.statusCode !== 200 || json.errors) return `HTTP ${res.statusCode} ${JSON.stringify(json.errors)}`;
  // A short page would mean the scenario measured less work than it claims (e.g. a cursor past the end).
  if (json.data?.feed?.edges.length !== PAGE) return `expected ${PAGE} edges`;
  return null;
}

/** A closed loop: each worker sends its next request as soon as the previous one answers. */
async function run(t: Target, ms: number, cap: number): Promise<Result> {
  const r: Result = { name: t.name, requests: 0, errors: 0, seconds: 0, latencies: [] };
  const started = performance.now();
  const deadline = started + ms;
  let sent = 0;
  const worker = async () => {
    while (performance.now() < deadline && sent < cap) {
      sent++;
      const t0 = performance.now();
      const err = await once(t).catch((e: Error) => e.message);
      r.latencies.push(performance.now() - t0);
      r.requests++;
      if (err) {
        r.errors++;
        r.firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  r.seconds = (performance.now() - started) / 1000;
  return r;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const graph = await startGraph();
try {
  const seeded = await seedDemo(graph.social, graph.review, createLogger('bench', 'warn'));
  // Let the seed's follow events drain first, so the relay and consumers stay idle while we measure.
  await eventually(async () => (await demoFollowsApplied(graph.social, graph.review)) === seeded?.follows);

  // The cursor of the 1,000th review: ten pages of 100 through the gateway.
  type Page = { feed: { pageInfo: { endCursor: string } } };
  let deepCursor: string | null = null;
  for (let i = 0; i < 10; i++) {
    // Annotated because deepCursor feeds its own next value (TS cannot infer that loop).
    const page: GqlResult<Page> = await graph.gql<Page>(
      'query($after: String) { feed(tab: LATEST, first: 100, after: $after) { pageInfo { endCursor } } }',
      { after: deepCursor },
    );
    if (page.errors) throw new Error(`paging failed: ${JSON.stringify(page.errors)}`);
    deepCursor = page.data.feed.pageInfo.endCursor;
  }

  const json = { 'content-type': 'application/json' };
  // Signed headers live 60 s; re-sign every 10 s, as the gateway signs anew per request.
  let signed = { at: 0, header: '' };
  const callerHeader = () => {
    if (Date.now() - signed.at > 10_000) {
      const caller = { userId: null, role: null, ip: '127.0.0.1', requestId: 'bench' };
      signed = { at: Date.now(), header: signCaller(caller, TEST_SECRET, 'review') };
    }
    return { ...json, [CALLER_HEADER]: signed.header };
  };
  const targets: Target[] = [
    {
      name: 'gateway LATEST',
      url: graph.url,
      body: JSON.stringify({ query: GATEWAY_QUERY }),
      headers: () => json,
    },
    {
      name: 'direct review LATEST',
      url: graph.reviewUrl,
      body: JSON.stringify({ query: DIRECT_QUERY }),
      headers: callerHeader,
    },
    {
      name: 'gateway LATEST after #1000',
      url: graph.url,
      body: JSON.stringify({ query: GATEWAY_QUERY, variables: { after: deepCursor } }),
      headers: () => json,
    },
  ];

  const results: Result[] = [];
  for (const t of targets) {
    await run(t, WARMUP_MS, MAX_REQUESTS); // JIT, connection pool and query caches warm up; discarded
    results.push(await run(t, SECONDS * 1000, MAX_REQUESTS));
  }

  console.log(
    `node ${process.version}, ${cpus().length} CPUs, ${seeded?.reviews} reviews, ` +
      `${SECONDS} s per scenario, concurrency ${CONCURRENCY} (client and servers share one process)`,
  );
  const rows = results.map((r) => {
    const sorted = [...r.latencies].sort((a, b) => a - b);
    return {
      scenario: r.name,
      requests: r.requests,
      'req/s': Math.round(r.requests / r.seconds),
      'p50 ms': +percentile(sorted, 50).toFixed(2),
      'p95 ms': +percentile(sorted, 95).toFixed(2),
      'p99 ms': +percentile(sorted, 99).toFixed(2),
      errors: r.errors,
    };
  });
  console.table(rows);
  const [gw, direct] = rows as [(typeof rows)[0], (typeof rows)[0]];
  console.log(
    `gateway/direct: throughput ${(gw['req/s'] / direct['req/s']).toFixed(2)}x, ` +
      `p50 ${(gw['p50 ms'] / direct['p50 ms']).toFixed(2)}x`,
  );
  for (const r of results) if (r.firstError) console.log(`${r.name}: first error: ${r.firstError}`);
} finally {
  await agent.close();
  await graph.stop();
}
