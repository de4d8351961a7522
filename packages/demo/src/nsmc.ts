import { readFile } from 'node:fs/promises';

/** One review from the Naver sentiment movie corpus (see fixtures/README.md). */
export interface NsmcRow {
  reviewId: string;
  author: string;
  movieId: string;
  /** 1–10 */
  rating: number;
  /** UTC midnight of the review day */
  date: Date;
  text: string;
}

const HEADER = 'review_id\tauthor\tmovie_id\trating\tdate\treview';

/** Parses NSMC TSV (with its header row); throws naming the 1-based line of the first malformed row. */
export function parseNsmc(tsv: string): NsmcRow[] {
  const lines = tsv.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  if (lines[0] !== HEADER) throw new Error(`nsmc line 1: expected header "${HEADER.replace(/\t/g, '\\t')}"`);
  return lines.slice(1).map((line, i) => {
    const lineNo = i + 2;
    const cols = line.split('\t');
    if (cols.length !== 6) throw new Error(`nsmc line ${lineNo}: expected 6 columns, got ${cols.length}`);
    const [reviewId, author, movieId, rating, date, text] = cols as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const stars = Number(rating);
    if (!/^\d+$/.test(rating) || stars < 1 || stars > 10) {
      throw new Error(`nsmc line ${lineNo}: rating "${rating}" is not 1–10`);
    }
    return { reviewId, author, movieId, rating: stars, date: parseDate(date, lineNo), text };
  });
}

// The corpus covers 2003–2014, so a two-digit year is always 20yy.
function parseDate(yymmdd: string, lineNo: number): Date {
  const invalid = () => new Error(`nsmc line ${lineNo}: date "${yymmdd}" is not a valid yy.mm.dd`);
  const m = /^(\d\d)\.(\d\d)\.(\d\d)$/.exec(yymmdd);
  if (!m) throw invalid();
  const [month, day] = [Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(2000 + Number(m[1]), month - 1, day));
  // Date.UTC rolls out-of-range parts over (02.30 → 03.02), so a round trip catches impossible days.
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw invalid();
  return date;
}

/** Maps a 1–10 rating onto 1–5 stars. */
export function toStars(rating10: number): number {
  return Math.ceil(rating10 / 2);
}

/** The committed demo sample (about 2,600 reviews by 56 authors of 150 movies). */
export async function loadNsmcSample(): Promise<NsmcRow[]> {
  return parseNsmc(await readFile(new URL('../fixtures/nsmc-sample.tsv', import.meta.url), 'utf8'));
}
