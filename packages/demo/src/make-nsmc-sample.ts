// Rebuilds fixtures/nsmc-sample.tsv from the full NSMC dump. Deterministic: same input, same output.
// Usage: npx tsx packages/demo/src/make-nsmc-sample.ts [path/to/reviews-2003-2014.tsv.gz]
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

const SOURCE = process.argv[2] ?? '/work/shared/datasets/nsmc-reviews/reviews-2003-2014.tsv.gz';
const OUT = new URL('../fixtures/nsmc-sample.tsv', import.meta.url);
const TOP_AUTHORS = 60;
const TOP_MOVIES = 150;
const MAX_ROWS = 3000;
const MIN_PER_AUTHOR = 10;
const MIN_PER_MOVIE = 3;

type Row = [reviewId: string, author: string, movieId: string, rating: string, date: string, review: string];

async function readRows(path: string): Promise<{ header: string; rows: Row[] }> {
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  let header: string | undefined;
  const rows: Row[] = [];
  for await (const line of lines) {
    if (header === undefined) {
      header = line;
      continue;
    }
    const cols = line.split('\t');
    if (cols.length !== 6 || cols[5]!.trim() === '') continue;
    rows.push(cols as Row);
  }
  if (header === undefined) throw new Error(`${path} is empty`);
  return { header, rows };
}

// Most frequent keys first; ties broken by key so the choice never depends on input order.
function topKeys(keys: string[], n: number): Set<string> {
  const counts = countBy(keys);
  const ranked = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  return new Set(ranked.slice(0, n).map(([k]) => k));
}

function countBy(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return counts;
}

// Removing a thin author can make a movie thin and vice versa, so repeat until nothing changes.
function pruneThin(rows: Row[], minAuthor: number, minMovie: number): Row[] {
  for (;;) {
    const byAuthor = countBy(rows.map((r) => r[1]));
    const byMovie = countBy(rows.map((r) => r[2]));
    const kept = rows.filter((r) => byAuthor.get(r[1])! >= minAuthor && byMovie.get(r[2])! >= minMovie);
    if (kept.length === rows.length) return kept;
    rows = kept;
  }
}

const { header, rows } = await readRows(SOURCE);
// Masked names look like `love****`; one with under 2 visible characters lumps too many people together.
const authors = topKeys(
  rows.map((r) => r[1]).filter((a) => a.replace(/\*/g, '').length >= 2),
  TOP_AUTHORS,
);
const byTopAuthors = rows.filter((r) => authors.has(r[1]));
const movies = topKeys(
  byTopAuthors.map((r) => r[2]),
  TOP_MOVIES,
);
const pool = byTopAuthors.filter((r) => movies.has(r[2])).sort((a, b) => Number(a[0]) - Number(b[0]));

// Every k-th row keeps the pool's spread over time; pruning before and after makes the minimums
// hold in the sample, not just in the pool.
const step = Math.max(1, Math.ceil(pool.length / MAX_ROWS));
const thinnedPool = pruneThin(pool, MIN_PER_AUTHOR * step, MIN_PER_MOVIE * step);
const sample = pruneThin(
  thinnedPool.filter((_, i) => i % step === 0),
  MIN_PER_AUTHOR,
  MIN_PER_MOVIE,
);

const text = [header, ...sample.map((r) => r.join('\t'))].join('\n') + '\n';
await writeFile(OUT, text);
console.log(
  `pool ${pool.length} rows, step ${step}: wrote ${sample.length} rows, ${Buffer.byteLength(text)} bytes, ` +
    `${new Set(sample.map((r) => r[1])).size} authors, ${new Set(sample.map((r) => r[2])).size} movies`,
);
