/**
 * `npx tsx bench/make-recommend-sample.ts [SOURCE]`: writes
 * services/review/src/recommend/fixtures/nsmc-recommend-sample.tsv.gz, the 20k-review sample the
 * recommend spec runs the whole protocol on, from the shared NSMC file (default
 * ../shared/datasets/nsmc-reviews/reviews-2003-2014.tsv.gz). Deterministic: the same source gives
 * the same bytes.
 *
 * Selection: authors with at least one like (rating ≥ 8) up to 2013 and one in 2014 — the
 * protocol's test users — and at most 150 reviews, in the order of a hash of their name, whole
 * histories, until 20,000 reviews; rows keep the source's order, with the review text left out
 * (the model reads none; with it the sample would pass 1 MB gzipped).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const source =
  process.argv[2] ??
  fileURLToPath(new URL('../../shared/datasets/nsmc-reviews/reviews-2003-2014.tsv.gz', import.meta.url));
const target = fileURLToPath(
  new URL('../services/review/src/recommend/fixtures/nsmc-recommend-sample.tsv.gz', import.meta.url),
);
const ROWS = 20_000;
const MAX_PER_AUTHOR = 150;

const lines = gunzipSync(readFileSync(source)).toString('utf8').split('\n');
const header = lines[0]!;
const body = lines.slice(1).filter((l) => l !== '');
const byAuthor = new Map<string, { rows: number[]; likedBefore: boolean; likedIn2014: boolean }>();
body.forEach((line, n) => {
  const [, author, , rating, date] = line.split('\t') as [string, string, string, string, string];
  let a = byAuthor.get(author);
  if (!a) byAuthor.set(author, (a = { rows: [], likedBefore: false, likedIn2014: false }));
  a.rows.push(n);
  if (Number(rating) >= 8) {
    if (date.startsWith('14.')) a.likedIn2014 = true;
    else a.likedBefore = true;
  }
});
const hash = (s: string) => createHash('sha256').update(s).digest('hex');
const authors = [...byAuthor]
  .filter(([, a]) => a.likedBefore && a.likedIn2014 && a.rows.length <= MAX_PER_AUTHOR)
  .map(([name, a]) => ({ key: hash(name), rows: a.rows }))
  .sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
const keep: number[] = [];
for (const a of authors) {
  if (keep.length + a.rows.length > ROWS) continue;
  keep.push(...a.rows);
}
keep.sort((x, y) => x - y);
const withoutText = (line: string) => line.split('\t').slice(0, 5).concat('').join('\t');
const out = gzipSync([header, ...keep.map((n) => withoutText(body[n]!))].join('\n') + '\n', { level: 9 });
writeFileSync(target, out);
console.log(`${keep.length} reviews → ${target} (${out.length} bytes)`);
