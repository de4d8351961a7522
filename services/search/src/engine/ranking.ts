/**
 * The ranking: BM25F text relevance (title above body) times a per-document boost for popularity
 * and recency. The boost multiplies the whole text score, so every posting's contribution is
 * `idf × saturation × boost` and the order of documents never depends on the time of the query:
 * an exponential decay relative to "now" differs from one relative to a fixed epoch only by a
 * constant factor.
 */
export const K1 = 1.2;
export const B = 0.75;
export const TITLE_WEIGHT = 3;

const YEAR_MS = 365.25 * 24 * 3600 * 1000;
/** Gentle: a review four years older weighs half, ten years a fifth — still found, just lower. */
const HALF_LIFE_MS = 4 * YEAR_MS;
const EPOCH_MS = Date.UTC(2020, 0, 1);
const POPULARITY_WEIGHT = 0.2;

/** (1 + 0.2 ln(1 + popularity)) × 2^((createdAt − 2020) / 4 years). */
export function staticBoost(popularity: number, createdMs: number): number {
  return (1 + POPULARITY_WEIGHT * Math.log1p(popularity)) * 2 ** ((createdMs - EPOCH_MS) / HALF_LIFE_MS);
}

export function idf(df: number, docs: number): number {
  return Math.log(1 + (docs - df + 0.5) / (df + 0.5));
}

/**
 * Term-frequency saturation of one posting. A posting's tf byte holds the title's count in its
 * high nibble and the body's in its low one (each capped at 15). `norm*` are 1 − b + b·len/avg
 * written as `a + c·len` with the per-query constants.
 */
export interface LengthNorm {
  a: number;
  titleC: number;
  bodyC: number;
}

export function lengthNorm(titleAvg: number, bodyAvg: number): LengthNorm {
  return { a: 1 - B, titleC: B / Math.max(titleAvg, 1), bodyC: B / Math.max(bodyAvg, 1) };
}

/** The quality of a query word's match: exact above synonym above prefix above typo; partial below all. */
export const QUALITY = { exact: 1000, synonym: 980, prefix: 950, typo1: 900, typo2: 850 } as const;
/** Coverage: full words first (this many points each), then the sum of their qualities. */
export const FULL_WORD = 100_000;

/** The number hits carry: coverage, then relevance squashed below one, so it orders as the ranking does. */
export function finalScore(coverage: number, relevance: number): number {
  return coverage + relevance / (1 + relevance);
}
