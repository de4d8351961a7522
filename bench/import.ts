/**
 * Course-catalog benchmark: the import of a real university schedule export (UIUC summer 2025,
 * `<datasets>/uiuc-courses/2025-su.csv`) into a fresh term — read, parsed and applied in one
 * transaction by `runImport`, as `npm run import` and the repeatable job do — then the same file
 * again (nothing changed: the re-run must create, update and cancel nothing), then
 * `courses(termId, query)` over a fixed list of searches through the gateway against the
 * course-catalog subgraph called directly (the baseline), on the servers backend (MariaDB +
 * Redis) and on the embedded one (SQLite), each in a graph of its own started in this process.
 *
 *   npx tsx bench/import.ts [--backend servers|embedded|both] [--rounds 3] [--iterations 30] [--warmup 3]
 *
 * The datasets folder is MOIM_DATASETS, or the repository's ../shared/datasets.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'csv-parse/sync';
import {
  datasetsDir,
  parseUiucCsv,
  runImport,
  summaryLine,
  type CatalogDeps,
  type ImportSummary,
} from '@moim/course-catalog';
import { CALLER_HEADER, signCaller } from '@moim/kit';
import { TEST_SECRET } from '@moim/kit/testing';
import { startGraph, type GqlResult, type Graph } from '@moim/testing';
import { percentile } from './stats';

type BackendKind = 'servers' | 'embedded';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '3' },
    iterations: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '3' },
  },
});
const ROUNDS = Number(values.rounds);
const ITERATIONS = Number(values.iterations);
const WARMUP = Number(values.warmup);
const BACKENDS: BackendKind[] =
  values.backend === 'both'
    ? ['servers', 'embedded']
    : values.backend === 'servers' || values.backend === 'embedded'
      ? [values.backend]
      : [];
if (
  !BACKENDS.length ||
  !Number.isInteger(ROUNDS) ||
  ROUNDS < 1 ||
  !Number.isInteger(ITERATIONS) ||
  ITERATIONS < 1 ||
  !Number.isInteger(WARMUP) ||
  WARMUP < 0
) {
  throw new Error(
    'usage: npx tsx bench/import.ts [--backend servers|embedded|both] [--rounds 3] [--iterations 30] [--warmup 3]',
  );
}

const SOURCE = 'uiuc-csv';
const TERM = '2025-su';
const SUBGRAPH = 'course-catalog';

// ---------------------------------------------------------------------------------------------
// The file, read independently of the importer (csv-parse on its own, no importer code).

const DATASETS = datasetsDir();
const FILE = join(DATASETS, 'uiuc-courses', `${TERM}.csv`);
if (!existsSync(FILE)) {
  console.error(
    `No ${FILE}: the benchmark reads the full UIUC summer 2025 export there ` +
      '(set MOIM_DATASETS to the folder holding uiuc-courses/, or put the file in ../shared/datasets).',
  );
  process.exit(1);
}
const TEXT = readFileSync(FILE, 'utf8');
const ROWS = parse(TEXT, { columns: true, bom: true, skip_empty_lines: true }) as Array<
  Record<'Subject' | 'Number' | 'CRN' | 'Instructors', string>
>;
const CSV_ROWS = ROWS.length;
const FILE_SECTIONS = new Set(ROWS.map((r) => r.CRN.trim())).size;
const FILE_COURSES = new Set(ROWS.map((r) => `${r.Subject.trim()} ${r.Number.trim()}`)).size;
if (!CSV_ROWS) throw new Error(`${FILE} holds no data rows`);

// An instructor's surname found in the file: CS 225's first instructor, as the file writes it.
const cs225 = ROWS.find((r) => r.Subject === 'CS' && r.Number === '225');
const SURNAME = cs225?.Instructors.split(';')[0]?.split(',')[0]?.trim();
if (!SURNAME) throw new Error(`${FILE} has no CS 225 with an instructor: not the expected export`);

// ---------------------------------------------------------------------------------------------
// The searches: a fixed list, each with what a correct answer looks like (checked on warm-up).

const COURSES = `query($termId: ID!, $query: String, $subject: String) {
  courses(termId: $termId, query: $query, subject: $subject) {
    edges { node { id code title creditsMin creditsMax } }
    pageInfo { hasNextPage endCursor }
  }
}`;
type CoursePage = { courses: { edges: Array<{ node: { code: string } }> } };

interface Search {
  label: string;
  query?: string;
  subject?: string;
  /** A problem with the codes answered (a page of at most 20), or null. */
  check: (codes: string[]) => string | null;
}
const first = (code: string) => (codes: string[]) =>
  codes[0] === code ? null : `expected ${code} first, got ${codes.slice(0, 3).join(', ') || 'nothing'}`;
const contains = (code: string) => (codes: string[]) =>
  codes.includes(code) ? null : `expected ${code} among ${codes.join(', ') || 'nothing'}`;
const some = (codes: string[]) => (codes.length ? null : 'expected some courses, got none');
const none = (codes: string[]) => (codes.length ? `expected nothing, got ${codes.join(', ')}` : null);
const allOf = (subject: string) => (codes: string[]) =>
  !codes.length
    ? `expected ${subject} courses, got none`
    : codes.every((c) => c.startsWith(`${subject} `))
      ? null
      : `expected only ${subject}, got ${codes.join(', ')}`;

const SEARCHES: Search[] = [
  { label: 'code `CS 225`', query: 'CS 225', check: first('CS 225') },
  { label: 'code `cs225`', query: 'cs225', check: first('CS 225') },
  { label: 'code `MATH 241`', query: 'MATH 241', check: first('MATH 241') },
  {
    label: 'code prefix `cs 22`',
    query: 'cs 22',
    check: (c) =>
      c[0]?.startsWith('CS 22') ? null : `expected CS 22x first, got ${c.slice(0, 3).join(', ')}`,
  },
  { label: 'code prefix `ece 4`', query: 'ece 4', check: some },
  { label: 'title `data structures`', query: 'data structures', check: contains('CS 225') },
  { label: 'title `introduction`', query: 'introduction', check: some },
  { label: 'title `calculus`', query: 'calculus', check: contains('MATH 241') },
  { label: 'title `linear algebra`', query: 'linear algebra', check: some },
  { label: 'title prefix `intro`', query: 'intro', check: some },
  { label: 'title `statistics`', query: 'statistics', check: some },
  { label: 'title `programming`', query: 'programming', check: some },
  { label: 'title `history`', query: 'history', check: some },
  {
    label: `instructor \`${SURNAME.toLowerCase()}\``,
    query: SURNAME.toLowerCase(),
    check: contains('CS 225'),
  },
  { label: 'subject `CS`, no query', subject: 'CS', check: allOf('CS') },
  { label: 'subject `MATH` + `calculus`', subject: 'MATH', query: 'calculus', check: allOf('MATH') },
  { label: 'subject `ECE` + `ece 4`', subject: 'ECE', query: 'ece 4', check: allOf('ECE') },
  { label: 'no query (first page)', check: some },
  { label: 'one letter `a` (nearly all)', query: 'a', check: some },
  { label: 'no match `no such course zzz`', query: 'no such course zzz', check: none },
];

// ---------------------------------------------------------------------------------------------

const ms = (t0: number) => performance.now() - t0;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
/** Nearest-rank percentile of sorted values. */
const round2 = (n: number) => Math.round(n * 100) / 100;

interface ImportTiming {
  seconds: number;
  summary: ImportSummary;
}
interface Latency {
  all: number[];
  perSearch: number[][];
  errors: number;
  firstError?: string;
}
interface BackendResult {
  backend: BackendKind;
  firstImport: ImportTiming;
  reruns: ImportTiming[];
  parseSeconds: number[];
  gateway: Latency;
  direct: Latency;
  edges: number[];
}

async function timedImport(deps: CatalogDeps): Promise<ImportTiming> {
  const t0 = performance.now();
  const summary = await runImport(deps, { source: SOURCE, term: TERM, from: FILE, datasets: DATASETS });
  return { seconds: ms(t0) / 1000, summary };
}

type Send = (variables: Record<string, unknown>) => Promise<GqlResult<CoursePage>>;

/** One search through `send`: the codes answered, or throws with the errors. */
async function searchOnce(send: Send, termId: string, s: Search): Promise<string[]> {
  const res = await send({ termId, query: s.query, subject: s.subject });
  if (res.status !== 200 || res.errors || !res.data?.courses)
    throw new Error(`HTTP ${res.status} ${JSON.stringify(res.errors)}`);
  return res.data.courses.edges.map((e) => e.node.code);
}

async function benchBackend(backend: BackendKind): Promise<BackendResult> {
  const graph: Graph = await startGraph({ backend });
  try {
    const deps = graph.service<CatalogDeps>(SUBGRAPH).deps;

    // 1. The first import, into an empty term.
    const firstImport = await timedImport(deps);
    console.log(
      `${backend}: first import ${firstImport.seconds.toFixed(3)} s: ${summaryLine(firstImport.summary)}`,
    );
    if (firstImport.summary.created === 0) throw new Error(`${backend}: the first import created nothing`);
    if (firstImport.summary.created !== FILE_SECTIONS)
      console.log(
        `${backend}: note: the file holds ${FILE_SECTIONS} sections (distinct CRNs), ` +
          `the first import created ${firstImport.summary.created}`,
      );

    // 2. The same file again: nothing to create, update or cancel — a correctness guard.
    const reruns: ImportTiming[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const rerun = await timedImport(deps);
      console.log(`${backend}: re-run ${round} ${rerun.seconds.toFixed(3)} s: ${summaryLine(rerun.summary)}`);
      const { created, updated, cancelled, coursesCreated, coursesUpdated } = rerun.summary;
      if (created || updated || cancelled || coursesCreated || coursesUpdated)
        throw new Error(
          `${backend}: re-run ${round} of an unchanged file changed the term (created ${created}, ` +
            `updated ${updated}, cancelled ${cancelled}, courses ${coursesCreated} new and ${coursesUpdated} changed; all must be 0)`,
        );
      reruns.push(rerun);
    }

    // The parser alone, in memory, for where the time goes (no database).
    const parseSeconds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const t0 = performance.now();
      parseUiucCsv(readFileSync(FILE, 'utf8'));
      parseSeconds.push(ms(t0) / 1000);
    }

    // 3. courses(query): the gateway, and the subgraph directly with a signed caller header.
    const termId = firstImport.summary.termId;
    const viaGateway: Send = (variables) => graph.gql<CoursePage>(COURSES, variables);
    const subgraphUrl = graph.subgraphUrl(SUBGRAPH);
    // The same body the gateway's client sends, signed per request as the gateway signs anew for
    // each (the header covers the body and lives 60 s).
    const direct: Send = async (variables) => {
      const body = JSON.stringify({ query: COURSES, variables });
      const caller = { userId: null, role: null, ip: '127.0.0.1', requestId: 'bench-import' };
      const res = await fetch(subgraphUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [CALLER_HEADER]: signCaller(caller, TEST_SECRET, SUBGRAPH, body),
        },
        body,
      });
      return { status: res.status, ...((await res.json()) as object) } as GqlResult<CoursePage>;
    };

    // Warm-up (discarded): JIT, pools, statement caches; every answer checked once.
    const edges: number[] = [];
    for (const [i, s] of SEARCHES.entries()) {
      const viaG = await searchOnce(viaGateway, termId, s);
      const viaD = await searchOnce(direct, termId, s);
      const problem = s.check(viaG);
      if (problem) throw new Error(`${backend}: courses for ${s.label}: ${problem}`);
      if (viaG.join() !== viaD.join())
        throw new Error(`${backend}: ${s.label}: the gateway and the subgraph answered differently`);
      edges[i] = viaG.length;
    }
    for (let w = 1; w < WARMUP; w++)
      for (const s of SEARCHES) {
        await searchOnce(viaGateway, termId, s);
        await searchOnce(direct, termId, s);
      }

    const latency = (): Latency => ({ all: [], perSearch: SEARCHES.map(() => []), errors: 0 });
    const results = { gateway: latency(), direct: latency() };
    const measure = async (target: 'gateway' | 'direct', i: number) => {
      const r = results[target];
      const t0 = performance.now();
      try {
        await searchOnce(target === 'gateway' ? viaGateway : direct, termId, SEARCHES[i]!);
      } catch (err) {
        r.errors++;
        r.firstError ??= (err as Error).message;
      }
      const t = ms(t0);
      r.all.push(t);
      r.perSearch[i]!.push(t);
    };
    // Interleaved, the order of the two swapped every iteration: a drift falls on both alike.
    for (let it = 0; it < ITERATIONS; it++)
      for (let i = 0; i < SEARCHES.length; i++) {
        const order: Array<'gateway' | 'direct'> = it % 2 ? ['direct', 'gateway'] : ['gateway', 'direct'];
        for (const target of order) await measure(target, i);
      }

    return {
      backend,
      firstImport,
      reruns,
      parseSeconds,
      gateway: results.gateway,
      direct: results.direct,
      edges,
    };
  } finally {
    await graph.stop();
  }
}

// ---------------------------------------------------------------------------------------------

interface Stats {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}
function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: round2(percentile(sorted, 50)),
    p95: round2(percentile(sorted, 95)),
    p99: round2(percentile(sorted, 99)),
    mean: round2(sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}
const rowsPerSecond = (t: ImportTiming) => Math.round(CSV_ROWS / t.seconds);
const sectionsOf = (s: ImportSummary) => s.created + s.updated + s.unchanged;
const table = (header: string[], rows: Array<Array<string | number>>) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');

function report(r: BackendResult): { importRate: number; rerunRate: number; gatewayP95: number } {
  const rerunSeconds = median(r.reruns.map((t) => t.seconds));
  const rerun = r.reruns[0]!.summary;
  const parseSeconds = median(r.parseSeconds);
  const importRow = (name: string, runs: number, seconds: number, s: ImportSummary | null) => [
    name,
    runs,
    seconds.toFixed(3),
    Math.round(CSV_ROWS / seconds),
    s ? Math.round(sectionsOf(s) / seconds) : Math.round(FILE_SECTIONS / seconds),
    s ? `${s.created} / ${s.updated} / ${s.unchanged} / ${s.cancelled} / ${s.rejected}` : '—',
  ];
  console.log(`\n### ${r.backend}\n`);
  console.log(
    table(
      [
        'import of 2025-su.csv',
        'runs',
        's',
        'CSV rows/s',
        'sections/s',
        'created / updated / unchanged / cancelled / rejected',
      ],
      [
        importRow('first import (empty term)', 1, r.firstImport.seconds, r.firstImport.summary),
        importRow(`no-change re-run (median of ${r.reruns.length})`, r.reruns.length, rerunSeconds, rerun),
        importRow(
          `parse only, no database (median of ${r.parseSeconds.length})`,
          r.parseSeconds.length,
          parseSeconds,
          null,
        ),
      ],
    ),
  );
  const g = stats(r.gateway.all);
  const d = stats(r.direct.all);
  console.log('');
  console.log(
    table(
      [
        `courses(query): ${SEARCHES.length} searches × ${ITERATIONS}`,
        'requests',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'mean ms',
        'errors',
      ],
      [
        ['gateway', r.gateway.all.length, g.p50, g.p95, g.p99, g.mean, r.gateway.errors],
        [
          'course-catalog subgraph directly',
          r.direct.all.length,
          d.p50,
          d.p95,
          d.p99,
          d.mean,
          r.direct.errors,
        ],
        [
          'gateway / direct',
          '',
          `${(g.p50 / d.p50).toFixed(2)}×`,
          `${(g.p95 / d.p95).toFixed(2)}×`,
          `${(g.p99 / d.p99).toFixed(2)}×`,
          `${(g.mean / d.mean).toFixed(2)}×`,
          '',
        ],
      ],
    ),
  );
  console.log('');
  console.log(
    table(
      ['search', 'courses answered', 'gateway p50 ms', 'gateway p95 ms', 'direct p50 ms', 'direct p95 ms'],
      SEARCHES.map((s, i) => {
        const gs = stats(r.gateway.perSearch[i]!);
        const ds = stats(r.direct.perSearch[i]!);
        return [s.label, r.edges[i]!, gs.p50, gs.p95, ds.p50, ds.p95];
      }),
    ),
  );
  for (const [name, l] of [
    ['gateway', r.gateway],
    ['direct', r.direct],
  ] as const)
    if (l.firstError) console.log(`${r.backend} ${name}: first error: ${l.firstError}`);
  return {
    importRate: rowsPerSecond(r.firstImport),
    rerunRate: Math.round(CSV_ROWS / rerunSeconds),
    gatewayP95: g.p95,
  };
}

// The parser once before any timing, so the first import on the first backend does not also pay
// for compiling it (the second backend would not).
parseUiucCsv(TEXT);

console.log(
  `node ${process.version}, ${cpus().length} CPUs; ${FILE}: ${CSV_ROWS} CSV rows, ${FILE_SECTIONS} sections (CRNs), ` +
    `${FILE_COURSES} courses; ${ROUNDS} re-runs; ${SEARCHES.length} searches × ${ITERATIONS} iterations ` +
    `after ${WARMUP} warm-up passes, one at a time (client and graph share one process)`,
);
const results: BackendResult[] = [];
for (const backend of BACKENDS) results.push(await benchBackend(backend));

const reported = new Map(results.map((r) => [r.backend, report(r)] as const));
const errors = results.reduce((n, r) => n + r.gateway.errors + r.direct.errors, 0);
if (errors)
  throw new Error(`${errors} courses requests failed (first errors above): the numbers are not valid`);
const servers = reported.get('servers');
const embedded = reported.get('embedded');
if (servers && embedded)
  console.log(
    `\nembedded/servers: first import ${(embedded.importRate / servers.importRate).toFixed(2)}×, ` +
      `re-run ${(embedded.rerunRate / servers.rerunRate).toFixed(2)}× (rows/s); ` +
      `courses p95 through the gateway ${(embedded.gatewayP95 / servers.gatewayP95).toFixed(2)}×`,
  );
const main = servers ?? embedded!;
console.log('');
console.log(
  `RESULT import_rows_per_s=${main.importRate} rerun_rows_per_s=${main.rerunRate} courses_p95_ms=${main.gatewayP95}`,
);
