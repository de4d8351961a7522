/**
 * Gateway benchmark: Moim's gateway against Hive Gateway with its Rust query planner on the same
 * supergraph, subgraphs and caller signing, and against the review subgraph called directly.
 * Every server runs in a process of its own with NODE_ENV=production (logs at their production
 * level, info); this process is only the client. Interleaved rounds of each scenario; per
 * scenario: requests per second, latency percentiles, errors, and the CPU each server process
 * spent per request (from /proc). See bench/README.md.
 *
 *   npm run bench -- gateway [--seconds 20] [--rounds 3] [--connections 32] [--warmup 3]
 *     [--hive-js] [--hive-dedupe] [--apollo-executor] [--no-known] [--floor] [--only moim,hive,direct] [--queries Q1,Q2]
 *     [--profile]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { Pool } from 'undici';
import { envStem, type ServiceName } from '@moim/events';
import { CALLER_HEADER, signCaller } from '@moim/kit';
import { closedPort, startProcess, TEST_JWT_SECRET, TEST_SECRET, type TestProcess } from '@moim/kit/testing';
import { summariseProfile } from './chat-profile';
import { cpuMs, startNode, stopProcess, waitHealthy } from './processes';
import { percentile } from './stats';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '3' },
    /** Also Hive Gateway with its default (JavaScript) planner. */
    'hive-js': { type: 'boolean', default: false },
    /** Also Hive Gateway + Rust planner sharing identical in-flight subgraph queries (its default). */
    'hive-dedupe': { type: 'boolean', default: false },
    /** Also Moim's gateway with @apollo/gateway's executor (GATEWAY_EXECUTOR=apollo), as before its own. */
    'apollo-executor': { type: 'boolean', default: false },
    /** Also the same HTTP exchanges with no GraphQL at all (bench/gateway-floor.ts): a Node gateway's floor. */
    floor: { type: 'boolean', default: false },
    /** Also Moim's gateway without known queries (GATEWAY_KNOWN_QUERIES=off): every request through Apollo Server. */
    'no-known': { type: 'boolean', default: false },
    /** Gateways to run: moim, hive (Rust planner), direct (review alone). */
    only: { type: 'string', default: 'moim,hive,direct' },
    /** Node flags for every server process, Moim's and Hive's alike (e.g. --max-semi-space-size=64). */
    'node-flags': { type: 'string', default: '' },
    /** The queries to run. */
    queries: { type: 'string', default: 'Q1,Q2' },
    /** CPU profiles of Moim's gateway, review and social, summarised at the end. */
    profile: { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
const CONNECTIONS = Number(values.connections);
const WARMUP = Number(values.warmup);
const ONLY = new Set(values.only.split(','));
const QUERIES = values.queries.split(',');
const NODE_FLAGS = values['node-flags'].split(' ').filter(Boolean);
if (
  !(SECONDS > 0) ||
  !Number.isInteger(ROUNDS) ||
  ROUNDS < 1 ||
  !Number.isInteger(CONNECTIONS) ||
  CONNECTIONS < 1 ||
  !(WARMUP >= 0) ||
  ![...ONLY].every((o) => ['moim', 'hive', 'direct'].includes(o)) ||
  !QUERIES.every((q) => q === 'Q1' || q === 'Q2')
)
  throw new Error(
    'usage: npm run bench -- gateway [--seconds 20] [--rounds 3] [--connections 32] [--warmup 3] [--hive-js] [--only moim,hive,direct]',
  );
const PAGE = 20;
/** The goal: Moim's gateway serves this many times Hive's rate on Q1 and Q2. */
const TARGET = 1.5;

/** CPU µs per request of each process of a scenario, in the order the table's columns have them. */
type CpuPerRequest = readonly [
  gateway: number,
  review: number,
  social: number,
  mariadb: number,
  client: number,
];

/**
 * What Moim's gateway (or the floor) would need for TARGET× Hive's rate, rates being about cores ÷
 * all processes' CPU per request: the share by which review's, social's and MariaDB's CPU per
 * request would have to fall — for both, as both call the same subgraphs — with the gateways and
 * the client as measured. Prose for the summary line.
 */
function cutFor(moim: CpuPerRequest, hive: CpuPerRequest): string {
  const [gm, rm, sm, dm, cm] = moim;
  const [gh, rh, sh, dh, ch] = hive;
  if (gh + ch + rh + sh + dh >= TARGET * (gm + cm + rm + sm + dm)) return 'by nothing (already there)';
  const kept = (gh + ch - TARGET * (gm + cm)) / (TARGET * (rm + sm + dm) - (rh + sh + dh));
  // Outside (0, 1): cutting that work moves away from the goal, or not far enough even to zero.
  return kept > 0 && kept < 1
    ? `by ${Math.round((1 - kept) * 100)} %`
    : `no cut would do it (the gateways and the client alone give ${((gh + ch) / (gm + cm)).toFixed(2)}×)`;
}

const Q1 = `{ feed(tab: LATEST, first: ${PAGE}) { edges { node { id title rating author { nickname } } } } }`;
const Q2 =
  `{ feed(tab: LATEST, first: ${PAGE}) { edges { node { id title rating author { nickname followerCount ` +
  'reviews(first: 3) { edges { node { id title } } } } } } } }';
// The review subgraph alone resolves its own part of each: social's fields are not its own.
const DIRECT_Q1 = `{ feed(tab: LATEST, first: ${PAGE}) { edges { node { id title rating author { id } } } } }`;
const DIRECT_Q2 =
  `{ feed(tab: LATEST, first: ${PAGE}) { edges { node { id title rating author { id ` +
  'reviews(first: 3) { edges { node { id title } } } } } } } }';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// ---------------------------------------------------------------- servers

interface Setup {
  subgraphs: Record<ServiceName, string>;
  redisUrl: string;
  redisPrefix: string;
  socialDatabaseUrl: string;
  reviewDatabaseUrl: string;
  reviews: number;
}

const children: TestProcess[] = [];
const production = (setup: Setup) => ({
  NODE_ENV: 'production',
  INTERNAL_SECRET: TEST_SECRET,
  JWT_SECRET: TEST_JWT_SECRET,
  MOIM_BACKEND: 'servers',
  REDIS_URL: setup.redisUrl,
  REDIS_PREFIX: setup.redisPrefix,
  HOST: '127.0.0.1',
  METRICS_PORT: '0',
});

const profileDir = values.profile ? mkdtempSync(join(tmpdir(), 'moim-gateway-prof-')) : null;
const profiled = new Map<number, string>();

async function startServer(
  name: string,
  script: string,
  env: Record<string, string>,
  health: string,
  profile = false,
) {
  const port = await closedPort();
  const flags = [
    ...NODE_FLAGS,
    ...(profile && profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
  ];
  const proc = startNode(here(script), { ...env, PORT: String(port) }, flags);
  if (profile && profileDir) profiled.set(proc.child.pid!, name);
  children.push(proc);
  await waitHealthy(`http://127.0.0.1:${port}${health}`, proc).catch((err: Error) => {
    throw new Error(`${name} did not start: ${err.message}`);
  });
  return { name, proc, pid: proc.child.pid!, url: `http://127.0.0.1:${port}/graphql` };
}
type Server = Awaited<ReturnType<typeof startServer>>;

// ---------------------------------------------------------------- the client

interface Scenario {
  name: string;
  query: 'Q1' | 'Q2';
  /** The gateway process under test (none for the direct rows). */
  gateway: Server | null;
  url: string;
  body: string;
  headers: () => Record<string, string>;
}
interface Totals {
  requests: number;
  errors: number;
  seconds: number;
  latencies: number[];
  cpu: Record<'gateway' | 'review' | 'social' | 'database' | 'client', number>;
  firstError?: string;
}

/** A response is good when it is a full page without errors. */
function check(status: number, text: string): string | null {
  if (status !== 200) return `HTTP ${status} ${text.slice(0, 300)}`;
  const json = JSON.parse(text) as { data?: { feed?: { edges: unknown[] } }; errors?: unknown[] };
  if (json.errors) return JSON.stringify(json.errors).slice(0, 300);
  if (json.data?.feed?.edges.length !== PAGE) return `expected ${PAGE} edges`;
  return null;
}

const pools = new Map<string, Pool>();
function poolFor(url: string): Pool {
  const origin = new URL(url).origin;
  let pool = pools.get(origin);
  if (!pool) pools.set(origin, (pool = new Pool(origin, { connections: CONNECTIONS, pipelining: 1 })));
  return pool;
}

/** A closed loop of CONNECTIONS workers, each sending its next request when the last one answers. */
async function load(s: Scenario, ms: number, into: Totals | null): Promise<void> {
  const pool = poolFor(s.url);
  const path = new URL(s.url).pathname;
  const deadline = performance.now() + ms;
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      let error: string | null;
      try {
        const res = await pool.request({ method: 'POST', path, headers: s.headers(), body: s.body });
        error = check(res.statusCode, await res.body.text());
      } catch (err) {
        error = (err as Error).message;
      }
      if (!into) continue;
      into.latencies.push(performance.now() - t0);
      into.requests++;
      if (error) {
        into.errors++;
        into.firstError ??= `${s.name}: ${error}`;
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  if (into) into.seconds += (performance.now() - started) / 1000;
}

// ---------------------------------------------------------------- the run

/** The local MariaDB (or MySQL) server, whose CPU the reads cost too; undefined if not found. */
function databaseServerPid(): number | undefined {
  try {
    return (
      Number(execFileSync('pidof', ['-s', 'mariadbd', 'mysqld'], { encoding: 'utf8' }).trim()) || undefined
    );
  } catch {
    return undefined;
  }
}
const databasePid = databaseServerPid();

const setupProc = startProcess(here('./gateway-servers.ts'), { NODE_ENV: 'test' });
const stopAll = async () => {
  for (const pool of pools.values()) await pool.close();
  for (const child of children.reverse()) await stopProcess(child);
  await stopProcess(setupProc);
};
process.on('SIGINT', () => void stopAll().finally(() => process.exit(130)));

try {
  const setup = JSON.parse((await setupProc.waitFor(/^BENCH (.+)$/m, 300_000))[1]!) as Setup;
  const common = production(setup);
  const social = await startServer(
    'social',
    '../services/social/src/main.ts',
    { ...common, DATABASE_URL: setup.socialDatabaseUrl, MIGRATE_ON_START: 'false', SMS_PROVIDER: 'local' },
    '/health/live',
    true,
  );
  const review = await startServer(
    'review',
    '../services/review/src/main.ts',
    { ...common, DATABASE_URL: setup.reviewDatabaseUrl, MIGRATE_ON_START: 'false' },
    '/health/live',
    true,
  );
  const subgraphs: Record<string, string> = { ...setup.subgraphs, social: social.url, review: review.url };
  const gateways: Array<{ label: string; server: Server }> = [];
  const moim = (executor: 'moim' | 'apollo', known = true) =>
    startServer(
      `moim gateway${executor === 'apollo' ? " (Apollo's executor)" : ''}${known ? '' : ' (no known queries)'}`,
      '../gateway/src/main.ts',
      {
        ...common,
        GATEWAY_EXECUTOR: executor,
        GATEWAY_KNOWN_QUERIES: known ? 'on' : 'off',
        ...Object.fromEntries(
          Object.entries(subgraphs).map(([name, url]) => [
            `SUBGRAPH_${envStem(name as ServiceName)}_URL`,
            url,
          ]),
        ),
      },
      '/health/live',
      executor === 'moim' && known,
    );
  if (ONLY.has('moim')) gateways.push({ label: 'Moim gateway', server: await moim('moim') });
  if (values['no-known'])
    gateways.push({ label: 'Moim gateway, no known queries', server: await moim('moim', false) });
  if (values['apollo-executor'])
    gateways.push({
      label: "Moim gateway, Apollo's executor, no known queries",
      server: await moim('apollo', false),
    });
  const hive = (planner: 'rust' | 'js', dedupe = false) =>
    startServer(
      `hive gateway (${planner}${dedupe ? ', dedupe' : ''})`,
      './gateway-hive.ts',
      {
        NODE_ENV: 'production',
        INTERNAL_SECRET: TEST_SECRET,
        SUBGRAPHS: JSON.stringify(subgraphs),
        PLANNER: planner,
        DEDUPE: dedupe ? 'on' : 'off',
      },
      '/healthcheck',
    );
  if (values.floor)
    gateways.push({
      label: 'Node HTTP floor, no GraphQL',
      server: await startServer(
        'node http floor',
        './gateway-floor.ts',
        { NODE_ENV: 'production', INTERNAL_SECRET: TEST_SECRET, SUBGRAPHS: JSON.stringify(subgraphs) },
        '/health/live',
        true,
      ),
    });
  if (ONLY.has('hive')) gateways.push({ label: 'Hive Gateway + Rust planner', server: await hive('rust') });
  if (values['hive-js']) gateways.push({ label: 'Hive Gateway, default planner', server: await hive('js') });
  if (values['hive-dedupe'])
    gateways.push({ label: 'Hive Gateway + Rust, in-flight dedupe', server: await hive('rust', true) });

  const json = { 'content-type': 'application/json' };
  const scenarios: Scenario[] = [];
  for (const query of QUERIES as Array<'Q1' | 'Q2'>) {
    for (const { label, server } of gateways)
      scenarios.push({
        name: `${label} ${query}`,
        query,
        gateway: server,
        url: server.url,
        body: JSON.stringify({ query: query === 'Q1' ? Q1 : Q2 }),
        headers: () => json,
      });
    if (ONLY.has('direct')) {
      const body = JSON.stringify({ query: query === 'Q1' ? DIRECT_Q1 : DIRECT_Q2 });
      // Signed headers live 60 s and cover the body: signed anew every 10 s.
      let signed = { at: 0, header: '' };
      scenarios.push({
        name: `review directly ${query}`,
        query,
        gateway: null,
        url: review.url,
        body,
        headers: () => {
          if (Date.now() - signed.at > 10_000) {
            const caller = { userId: null, role: null, ip: '127.0.0.1', requestId: 'bench' };
            signed = { at: Date.now(), header: signCaller(caller, TEST_SECRET, 'review', body) };
          }
          return { ...json, [CALLER_HEADER]: signed.header };
        },
      });
    }
  }

  // Every gateway must answer a query with the same data (the floor merges by hand).
  const answers = new Map<string, { name: string; data: unknown }>();
  for (const s of scenarios.filter((s) => s.gateway)) {
    const res = await poolFor(s.url).request({
      method: 'POST',
      path: new URL(s.url).pathname,
      headers: s.headers(),
      body: s.body,
    });
    const { data } = (await res.body.json()) as { data?: unknown };
    const first = answers.get(s.query);
    if (!first) answers.set(s.query, { name: s.name, data });
    else if (!isDeepStrictEqual(data, first.data))
      throw new Error(`${s.name} answers with other data than ${first.name}`);
  }

  // JIT, pools and caches warm up for every scenario first; not counted.
  for (const s of scenarios) await load(s, WARMUP * 1000, null);
  const totals = scenarios.map((): Totals => ({
    requests: 0,
    errors: 0,
    seconds: 0,
    latencies: [],
    cpu: { gateway: 0, review: 0, social: 0, database: 0, client: 0 },
  }));
  for (let round = 0; round < ROUNDS; round++)
    for (const [i, s] of scenarios.entries()) {
      const pids = { gateway: s.gateway?.pid, review: review.pid, social: social.pid, database: databasePid };
      const before = {
        gateway: cpuMs(pids.gateway),
        review: cpuMs(pids.review),
        social: cpuMs(pids.social),
        database: cpuMs(pids.database),
      };
      const client = process.cpuUsage();
      await load(s, (SECONDS * 1000) / ROUNDS, totals[i]!);
      const used = process.cpuUsage(client);
      const t = totals[i]!;
      if (s.gateway) t.cpu.gateway += cpuMs(pids.gateway) - before.gateway;
      t.cpu.review += cpuMs(pids.review) - before.review;
      t.cpu.social += cpuMs(pids.social) - before.social;
      t.cpu.database += cpuMs(pids.database) - before.database;
      t.cpu.client += (used.user + used.system) / 1000;
    }

  console.log(
    `node ${process.version}, ${cpus().length} CPUs, ${setup.reviews} reviews, ${SECONDS} s per scenario ` +
      `in ${ROUNDS} interleaved rounds, ${CONNECTIONS} connections; every server its own process ` +
      '(NODE_ENV=production), this process the client',
  );
  const perRequest = (ms: number, requests: number) => (requests ? Math.round((ms * 1000) / requests) : NaN);
  const rows = scenarios.map((s, i) => {
    const t = totals[i]!;
    const sorted = t.latencies.sort((a, b) => a - b);
    return {
      scenario: s.name,
      'req/s': Math.round(t.requests / t.seconds),
      'p50 ms': +percentile(sorted, 50).toFixed(1),
      'p95 ms': +percentile(sorted, 95).toFixed(1),
      'p99 ms': +percentile(sorted, 99).toFixed(1),
      errors: t.errors,
      'gateway µs/req': s.gateway ? perRequest(t.cpu.gateway, t.requests) : NaN,
      'review µs/req': perRequest(t.cpu.review, t.requests),
      'social µs/req': perRequest(t.cpu.social, t.requests),
      'MariaDB µs/req': perRequest(t.cpu.database, t.requests),
      'client µs/req': perRequest(t.cpu.client, t.requests),
    };
  });
  console.table(rows);
  for (const [i, t] of totals.entries()) {
    if (!t.firstError) continue;
    console.log(`first error: ${t.firstError}`);
    const stderr = scenarios[i]!.gateway?.proc.err();
    if (stderr) console.log(`its gateway's stderr:\n${stderr.slice(0, 3000)}`);
  }

  const row = (name: string) => rows.find((r) => r.scenario === name);
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b !== undefined && b > 0 ? (a / b).toFixed(2) : 'NaN';
  const vsHive = (q: string) =>
    ratio(row(`Moim gateway ${q}`)?.['req/s'], row(`Hive Gateway + Rust planner ${q}`)?.['req/s']);
  const moimQ1 = row('Moim gateway Q1');
  const moimQ2 = row('Moim gateway Q2');
  console.log(
    `Moim gateway CPU per request / review's: Q1 ${ratio(moimQ1?.['gateway µs/req'], moimQ1?.['review µs/req'])}, ` +
      `Q2 ${ratio(moimQ2?.['gateway µs/req'], moimQ2?.['review µs/req'])}`,
  );
  // Every process shares the same 2 cores: a rate is about cores ÷ the CPU all of them spend per
  // request. With a gateway that cost nothing, Moim would still pay the subgraphs, MariaDB and the
  // client: that bounds how far ahead of Hive any gateway can be here.
  for (const q of ['Q1', 'Q2']) {
    const cpu = (name: string): CpuPerRequest | null => {
      const r = row(name);
      if (!r) return null;
      const [g, rv, so, db, cl] = [
        r['gateway µs/req'],
        r['review µs/req'],
        r['social µs/req'],
        r['MariaDB µs/req'],
        r['client µs/req'],
      ].map((v) => (Number.isNaN(v) ? 0 : v));
      return [g!, rv!, so!, db!, cl!];
    };
    const moim = cpu(`Moim gateway ${q}`);
    const hive = cpu(`Hive Gateway + Rust planner ${q}`);
    if (!moim || !hive) continue;
    const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    console.log(
      `${q}: CPU per request, all processes: Moim ${sum(moim)} µs, Hive ${sum(hive)} µs; ` +
        `beyond the gateway Moim's requests cost ${sum(moim.slice(1))} µs, so even a gateway costing ` +
        `nothing would serve at most ${(sum(hive) / sum(moim.slice(1))).toFixed(2)}× Hive's rate here`,
    );
    if (sum(hive) >= TARGET * sum(moim)) continue;
    const floor = cpu(`Node HTTP floor, no GraphQL ${q}`);
    console.log(
      `${q}: for ${TARGET}× Hive's rate, review's, social's and MariaDB's CPU per request (Hive's too: ` +
        `the same subgraphs) would have to fall: with this gateway ${cutFor(moim, hive)}` +
        (floor ? `; with a gateway costing only the floor ${cutFor(floor, hive)}` : ''),
    );
  }
  const errors = totals.reduce((n, t) => n + t.errors, 0);
  if (errors) console.log(`${errors} errors: the numbers above are not comparable`);
  console.log(
    `RESULT q1_vs_hive=${vsHive('Q1')} q2_vs_hive=${vsHive('Q2')} ` +
      `gw_cpu_per_review_cpu=${ratio(moimQ1?.['gateway µs/req'], moimQ1?.['review µs/req'])}`,
  );
} finally {
  await stopAll();
}

if (profileDir) {
  // CPU.<date>.<time>.<pid>.<thread>.<n>: thread 0 is the main one (tsx's loader runs in another).
  for (const file of readdirSync(profileDir).filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))) {
    const pid = Number(file.split('.')[3]);
    console.log(`CPU profile of ${profiled.get(pid) ?? pid} (every scenario, warm-up included):`);
    for (const line of summariseProfile(join(profileDir, file), 25)) console.log(line);
  }
}
