/**
 * `npm run bench -- search [--file PATH] [--limit N] [--passes N]`: the embedded search engine on
 * the whole NSMC file (574,798 reviews) in this process — indexing throughput, query latency per
 * class, peak memory (bench/search-engine.ts) — then the same queries through the gateway's
 * `search`: the search subgraph holding the whole file in a process of its own (its index rebuilt
 * from its table, as at start), a gateway process in front. Ends with one RESULT line.
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { envStem, SERVICES } from '@moim/events';
import {
  closedPort,
  newTestRedisPrefix,
  TEST_JWT_SECRET,
  TEST_REDIS_URL,
  TEST_SECRET,
} from '@moim/kit/testing';
import { DEFAULT_FILE, printEngineResult, runEngineBench } from './search-engine';
import { rssMb, startNode, stopProcess, waitHealthy } from './processes';
import { percentile } from './stats';

const { values } = parseArgs({
  options: {
    file: { type: 'string', default: DEFAULT_FILE },
    limit: { type: 'string' },
    passes: { type: 'string', default: '5' },
  },
});
const passes = Number(values.passes);
const here = (path: string) => new URL(path, import.meta.url).pathname;

console.log('# The engine, in this process\n');
const engine = await runEngineBench({
  file: values.file,
  limit: values.limit ? Number(values.limit) : undefined,
  passes,
  log: (line) => console.log(line),
});
printEngineResult(engine);

console.log('\n# Through the gateway (search subgraph and gateway in processes of their own)\n');
const server = startNode(here('./search-server.ts'), { NODE_ENV: 'production' }, [
  '--max-old-space-size=2048',
]);
const gatewayPort = await closedPort();
let gateway: ReturnType<typeof startNode> | undefined;
try {
  const started = Date.now();
  const setup = await (async () => {
    for (;;) {
      if (server.child.exitCode !== null) throw new Error(`the search server exited\n${server.err()}`);
      const line = /^BENCH (.*)$/m.exec(server.out());
      if (line)
        return JSON.parse(line[1]!) as {
          url: string;
          documents: number;
          rebuildSeconds: number;
          pid: number;
        };
      await sleep(200);
    }
  })();
  console.log(
    `search subgraph: ${setup.documents} documents loaded into its table and indexed in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `its index rebuilt from the table in ${setup.rebuildSeconds.toFixed(1)} s (what a start or a reindex costs)`,
  );
  const nowhere = `http://127.0.0.1:${await closedPort()}/graphql`;
  gateway = startNode(here('../gateway/src/main.ts'), {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    INTERNAL_SECRET: TEST_SECRET,
    JWT_SECRET: TEST_JWT_SECRET,
    MOIM_BACKEND: 'servers',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: newTestRedisPrefix(),
    HOST: '127.0.0.1',
    PORT: String(gatewayPort),
    METRICS_PORT: '0',
    // Only search answers: the query asks nothing of the other subgraphs.
    ...Object.fromEntries(
      SERVICES.map((s) => [`SUBGRAPH_${envStem(s.name)}_URL`, s.name === 'search' ? setup.url : nowhere]),
    ),
  });
  await waitHealthy(`http://127.0.0.1:${gatewayPort}/health/live`, gateway);

  const QUERY = `query($q: String!) { search(query: $q, first: 20) {
    edges { cursor node { score highlights { field snippet } node { __typename } } }
    pageInfo { hasNextPage endCursor } } }`;
  const SUGGEST = `query($q: String!) { searchSuggestions(prefix: $q, first: 10) { text type node { __typename } } }`;
  const ask = async (q: string, cls: string): Promise<number> => {
    const t = performance.now();
    const res = await request(`http://127.0.0.1:${gatewayPort}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: cls === 'suggest' ? SUGGEST : QUERY, variables: { q } }),
    });
    const body = (await res.body.json()) as { errors?: unknown[] };
    if (res.statusCode !== 200 || body.errors) throw new Error(`search "${q}": ${JSON.stringify(body)}`);
    return performance.now() - t;
  };
  const queries = engine.classes.flatMap((c) => c.queries.map((q) => ({ cls: c.name, q })));
  for (const { cls, q } of queries) await ask(q, cls); // warm-up
  const times = new Map<string, number[]>();
  for (let pass = 0; pass < passes; pass++)
    for (const { cls, q } of queries) {
      const ms = await ask(q, cls);
      times.set(cls, [...(times.get(cls) ?? []), ms]);
    }
  const row = (samples: number[]) => {
    const sorted = [...samples].sort((a, b) => a - b);
    const ms = (p: number) => Number(percentile(sorted, p).toFixed(2));
    return { samples: sorted.length, p50: ms(50), p95: ms(95), p99: ms(99) };
  };
  console.table(Object.fromEntries([...times].map(([cls, samples]) => [cls, row(samples)])));
  const all = row([...times.values()].flat());
  console.log(
    `through the gateway, one client: p50 ${all.p50} ms, p95 ${all.p95} ms, p99 ${all.p99} ms; ` +
      `search subgraph RSS ${rssMb(setup.pid)} MB`,
  );
  const f = (n: number) => n.toFixed(2);
  console.log(
    `RESULT docs_per_s=${Math.round(engine.docsPerSecond)} p95_ms=${f(engine.overall.p95)} p99_ms=${f(engine.overall.p99)} gateway_p95_ms=${f(all.p95)} rss_mb=${Math.round(engine.peakRssMb)}`,
  );
} finally {
  await stopProcess(gateway);
  await stopProcess(server);
}
process.exit(0);
