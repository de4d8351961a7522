/**
 * Feed benchmark: the LATEST feed through the gateway against the review subgraph called
 * directly (the baseline), plus a deep keyset page, on the servers backend (MariaDB + Redis) and
 * on the embedded one (SQLite + in-process queues), all in one run on two seeded graphs; then the
 * cold start of `npm start` on an empty data folder.
 *
 *   npx tsx bench/feed.ts [--seconds 10] [--concurrency 16] [--rounds 3]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { seedDemo } from '@moim/demo';
import { envStem, SERVICES } from '@moim/events';
import { CALLER_HEADER, createLogger, signCaller } from '@moim/kit';
import { startProcess, TEST_SECRET } from '@moim/kit/testing';
import { startGraph, type GqlResult, type Graph } from '@moim/testing';
import { percentile } from './stats';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);
if (
  !(SECONDS > 0) ||
  !Number.isInteger(CONCURRENCY) ||
  CONCURRENCY < 1 ||
  !Number.isInteger(ROUNDS) ||
  ROUNDS < 1
) {
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

/** A seeded graph on `backend`, quiet (the seed's events applied), and its scenarios. */
async function seededGraph(
  backend: 'servers' | 'embedded',
): Promise<{ graph: Graph; targets: Target[]; reviews: number }> {
  const graph = await startGraph({ backend });
  const seeded = await seedDemo(graph.services, createLogger('bench', 'warn'));
  if (!seeded?.reviews) throw new Error('the demo seed wrote no reviews');
  await graph.settled();

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
  const directBody = JSON.stringify({ query: DIRECT_QUERY });
  // Signed headers live 60 s and cover the body; re-sign every 10 s, as the gateway signs anew
  // per request.
  let signed = { at: 0, header: '' };
  const callerHeader = () => {
    if (Date.now() - signed.at > 10_000) {
      const caller = { userId: null, role: null, ip: '127.0.0.1', requestId: 'bench' };
      signed = { at: Date.now(), header: signCaller(caller, TEST_SECRET, 'review', directBody) };
    }
    return { ...json, [CALLER_HEADER]: signed.header };
  };
  const targets: Target[] = [
    {
      name: `gateway LATEST (${backend})`,
      url: graph.url,
      body: JSON.stringify({ query: GATEWAY_QUERY }),
      headers: () => json,
    },
    {
      name: `direct review LATEST (${backend})`,
      url: graph.subgraphUrl('review'),
      body: directBody,
      headers: callerHeader,
    },
    {
      name: `gateway LATEST after #1000 (${backend})`,
      url: graph.url,
      body: JSON.stringify({ query: GATEWAY_QUERY, variables: { after: deepCursor } }),
      headers: () => json,
    },
  ];
  return { graph, targets, reviews: seeded.reviews };
}

/**
 * `npm start` as a newcomer runs it: the embedded backend on an empty data folder (migrations,
 * demo seed, every service, the gateway), until the start log says it is up; then again on the
 * data it left (a restart).
 */
async function coldStart(): Promise<{ cold: number; warm: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'moim-bench-'));
  const start = fileURLToPath(new URL('../scripts/start.ts', import.meta.url));
  const env = {
    MOIM_BACKEND: 'embedded',
    DATA_DIR: dataDir,
    PORT: '0',
    ...Object.fromEntries(SERVICES.map((s) => [`${envStem(s.name)}_PORT`, '0'])),
    LOG_LEVEL: 'info',
  };
  const once = async () => {
    const t0 = performance.now();
    const proc = startProcess(start, env);
    await proc.waitFor(/Moim is up/, 120_000);
    const ms = performance.now() - t0;
    proc.child.kill('SIGTERM');
    if ((await proc.exited) !== 0) throw new Error(`npm start exited badly: ${proc.err()}`);
    return ms;
  };
  try {
    return { cold: await once(), warm: await once() };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const graphs = [await seededGraph('servers'), await seededGraph('embedded')];
try {
  const targets = graphs.flatMap((g) => g.targets);
  // JIT, connection pools and query caches warm up for every scenario first; discarded.
  for (const t of targets) await run(t, WARMUP_MS, MAX_REQUESTS);
  // Interleaved rounds: a drift of the machine during the run falls on every scenario alike.
  const results: Result[] = targets.map((t) => ({
    name: t.name,
    requests: 0,
    errors: 0,
    seconds: 0,
    latencies: [],
  }));
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, t] of targets.entries()) {
      const r = await run(t, (SECONDS * 1000) / ROUNDS, MAX_REQUESTS / ROUNDS);
      const total = results[i]!;
      total.requests += r.requests;
      total.errors += r.errors;
      total.seconds += r.seconds;
      total.latencies.push(...r.latencies);
      total.firstError ??= r.firstError;
    }

  console.log(
    `node ${process.version}, ${cpus().length} CPUs, ${graphs[0]!.reviews} reviews per graph, ` +
      `${SECONDS} s per scenario in ${ROUNDS} interleaved rounds, concurrency ${CONCURRENCY} ` +
      '(client and servers share one process)',
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
  const rate = (name: string) => rows.find((r) => r.scenario === name)!['req/s'];
  const p50 = (name: string) => rows.find((r) => r.scenario === name)!['p50 ms'];
  for (const backend of ['servers', 'embedded'])
    console.log(
      `${backend}: gateway/direct throughput ` +
        `${(rate(`gateway LATEST (${backend})`) / rate(`direct review LATEST (${backend})`)).toFixed(2)}x, ` +
        `p50 ${(p50(`gateway LATEST (${backend})`) / p50(`direct review LATEST (${backend})`)).toFixed(2)}x`,
    );
  console.log(
    `embedded/servers through the gateway: throughput ` +
      `${(rate('gateway LATEST (embedded)') / rate('gateway LATEST (servers)')).toFixed(2)}x, ` +
      `p50 ${(p50('gateway LATEST (embedded)') / p50('gateway LATEST (servers)')).toFixed(2)}x`,
  );
  for (const r of results) if (r.firstError) console.log(`${r.name}: first error: ${r.firstError}`);
} finally {
  await agent.close();
  for (const { graph } of graphs) await graph.stop();
}

const { cold, warm } = await coldStart();
console.log(
  `npm start (embedded): cold start on an empty data folder ${(cold / 1000).toFixed(1)} s ` +
    `(migrations, demo seed, graph up); restart on its data ${(warm / 1000).toFixed(1)} s`,
);
