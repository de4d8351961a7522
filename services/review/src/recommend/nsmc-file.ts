import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Review } from './evaluate';

const HEADER = 'review_id\tauthor\tmovie_id\trating\tdate\treview';

/**
 * Reads an NSMC reviews file (format of ../shared/datasets/nsmc-reviews/README.md), gzipped or
 * plain, keeping only what the recommender needs: author, movie, rating and day (not the text, so
 * the full 575k reviews take a few tens of MB). Throws naming the 1-based line of a malformed row.
 */
export function readNsmcReviews(file: string): Review[] {
  let buf = readFileSync(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  return parseNsmcReviews(buf.toString('utf8'));
}

export function parseNsmcReviews(tsv: string): Review[] {
  const out: Review[] = [];
  let pos = tsv.indexOf('\n');
  const header = (pos < 0 ? tsv : tsv.slice(0, pos)).replace(/\r$/, '');
  if (header !== HEADER) throw new Error(`nsmc line 1: expected header "${HEADER.replace(/\t/g, '\\t')}"`);
  let line = 1;
  while (pos >= 0 && pos < tsv.length - 1) {
    const start = pos + 1;
    pos = tsv.indexOf('\n', start);
    const end = pos < 0 ? tsv.length : pos;
    line++;
    if (end === start) continue;
    const t1 = tsv.indexOf('\t', start);
    const t2 = tsv.indexOf('\t', t1 + 1);
    const t3 = tsv.indexOf('\t', t2 + 1);
    const t4 = tsv.indexOf('\t', t3 + 1);
    const t5 = tsv.indexOf('\t', t4 + 1);
    if (t1 < 0 || t5 < 0 || t5 > end) throw new Error(`nsmc line ${line}: expected 6 columns`);
    const rating = Number(tsv.slice(t3 + 1, t4));
    if (!Number.isInteger(rating) || rating < 1 || rating > 10) {
      throw new Error(`nsmc line ${line}: rating "${tsv.slice(t3 + 1, t4)}" is not 1–10`);
    }
    const m = /^(\d\d)\.(\d\d)\.(\d\d)$/.exec(tsv.slice(t4 + 1, t5));
    if (!m) throw new Error(`nsmc line ${line}: date "${tsv.slice(t4 + 1, t5)}" is not yy.mm.dd`);
    out.push({
      author: tsv.slice(t1 + 1, t2),
      movie: tsv.slice(t2 + 1, t3),
      rating,
      // The corpus covers 2003–2014: a two-digit year is 20yy.
      at: Date.UTC(2000 + Number(m[1]), Number(m[2]) - 1, Number(m[3])),
    });
  }
  return out;
}
