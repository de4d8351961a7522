/**
 * The offline protocol of issue 22 and its metrics, pure (no I/O): the bench (bench/recommend.ts)
 * and the specs import it.
 *
 * Protocol. Users = authors, items = movies, rating ≥ 8 = a like. Test users have ≥ 1 like in the
 * test period and ≥ 1 like in training; a user's relevant items are those liked in the test period
 * and not reviewed at all in training (users with none are skipped). Every catalogue item (= every
 * item reviewed in training: a model knows no other) except those the user reviewed in training
 * is ranked. Relevant items first reviewed in the test period can never be retrieved, but they
 * still count in |relevant| (recall's and ideal DCG's min(k, |relevant|)).
 *
 * Ties (McSherry & Najork 2008, "Computing information retrieval performance measures efficiently
 * in the presence of tied scores"): precision, recall and NDCG are the expected values over a
 * uniformly random order inside each group of equal scores. A tied group occupying ranks
 * [s, s + n) with r relevant items puts, in expectation, r/n of a relevant item at each of its
 * ranks: it contributes r · |[s, s+n) ∩ [0, k)| / n hits and (r/n) · Σ_{p in [s, s+n) ∩ [0, k)}
 * 1/log2(p + 2) to DCG — a group straddling the cut-off contributes fractionally. (Most-popular
 * needs this: popularity is capped at 100 reviews per movie, so hundreds of movies tie at the top.)
 * Catalogue coverage is a property of concrete lists: it uses the top k with ties broken by item
 * index ascending, as Model.recommend does.
 */
import type { Interaction, TrainingData } from './model';

/** One rating, as read from an NSMC file (nsmc-file.ts). */
export interface Review {
  author: string;
  movie: string;
  /** 1–10 */
  rating: number;
  /** the review's day, ms since epoch (UTC midnight) */
  at: number;
}

export const LIKE_RATING = 8;
export const K = 10;
const DAY = 86_400_000;

export interface TestUser {
  user: number;
  /** relevant items in the catalogue (dense indices) */
  relevant: Set<number>;
  /** |relevant|, including relevant items the catalogue does not have (never retrievable) */
  relevantCount: number;
  /** the items the user reviewed in training: never ranked */
  exclude: Set<number>;
}

export interface Split {
  train: TrainingData;
  testUsers: TestUser[];
  /** dense index → author / movie id */
  userIds: string[];
  itemIds: string[];
}

/** Builds the training data and test users from reviews already divided into training and test. */
export function makeSplit(trainRows: readonly Review[], testRows: readonly Review[]): Split {
  const userIndex = new Map<string, number>();
  const itemIndex = new Map<string, number>();
  const interactions: Interaction[] = [];
  let last = -Infinity;
  for (const r of trainRows) {
    let u = userIndex.get(r.author);
    if (u === undefined) userIndex.set(r.author, (u = userIndex.size));
    let i = itemIndex.get(r.movie);
    if (i === undefined) itemIndex.set(r.movie, (i = itemIndex.size));
    interactions.push({ user: u, item: i, like: r.rating >= LIKE_RATING, at: r.at });
    if (r.at > last) last = r.at;
  }
  const reviewed = new Map<number, Set<number>>();
  const likedInTraining = new Set<number>();
  for (const x of interactions) {
    let s = reviewed.get(x.user);
    if (!s) reviewed.set(x.user, (s = new Set()));
    s.add(x.item);
    if (x.like) likedInTraining.add(x.user);
  }
  // Test likes per user, as movie ids (a relevant movie may be unknown to the catalogue).
  const testLikes = new Map<number, Set<string>>();
  for (const r of testRows) {
    if (r.rating < LIKE_RATING) continue;
    const u = userIndex.get(r.author);
    if (u === undefined || !likedInTraining.has(u)) continue;
    let s = testLikes.get(u);
    if (!s) testLikes.set(u, (s = new Set()));
    s.add(r.movie);
  }
  const testUsers: TestUser[] = [];
  for (const [user, movies] of [...testLikes].sort((a, b) => a[0] - b[0])) {
    const exclude = reviewed.get(user) ?? new Set<number>();
    const relevant = new Set<number>();
    let relevantCount = 0;
    for (const m of movies) {
      const i = itemIndex.get(m);
      if (i !== undefined && exclude.has(i)) continue;
      relevantCount++;
      if (i !== undefined) relevant.add(i);
    }
    if (relevantCount > 0) testUsers.push({ user, relevant, relevantCount, exclude });
  }
  return {
    train: {
      users: userIndex.size,
      items: itemIndex.size,
      interactions,
      now: trainRows.length ? last + DAY : 0,
    },
    testUsers,
    userIds: [...userIndex.keys()],
    itemIds: [...itemIndex.keys()],
  };
}

/** Train on reviews before `trainEnd`, test on those in [trainEnd, testEnd) (ms). */
export function timeSplit(rows: readonly Review[], trainEnd: number, testEnd: number): Split {
  return makeSplit(
    rows.filter((r) => r.at < trainEnd),
    rows.filter((r) => r.at >= trainEnd && r.at < testEnd),
  );
}

/** A model's score for every catalogue item (higher = better); the evaluator drops excluded items. */
export type Scorer = (user: number) => ArrayLike<number>;

export interface UserMetrics {
  precision: number;
  recall: number;
  ndcg: number;
  /** the top k, ties broken by item index ascending */
  top: number[];
}

const NO_ITEMS: ReadonlySet<number> = new Set();

/** Σ_{p=from}^{to-1} 1/log2(p + 2), p 0-based ranks */
function discountSum(from: number, to: number): number {
  let s = 0;
  for (let p = from; p < to; p++) s += 1 / Math.log2(p + 2);
  return s;
}

/** Tie-aware precision, recall and NDCG at k for one user (see the module comment). */
export function userMetrics(
  scores: ArrayLike<number>,
  exclude: ReadonlySet<number>,
  relevant: ReadonlySet<number>,
  relevantCount: number,
  k = K,
): UserMetrics {
  // Excluded items become NaN, which ranks nowhere: one pass without set look-ups.
  const masked = Float64Array.from(scores);
  for (const i of exclude) masked[i] = NaN;
  scores = masked;
  const top = topK(scores, k, NO_ITEMS);
  const denom = Math.min(k, relevantCount);
  if (top.length === 0 || denom === 0) return { precision: 0, recall: 0, ndcg: 0, top };
  const v = scores[top[top.length - 1]!]!;
  // Everything scoring above v is in `top`; the group tied at v may reach past it.
  let tied = 0;
  if (top.length === k) {
    for (let i = 0; i < scores.length; i++) if (scores[i] === v) tied++;
  } else {
    tied = top.filter((i) => scores[i] === v).length;
  }
  let relTied = 0;
  for (const i of relevant) if (scores[i] === v) relTied++;
  let hits = 0;
  let dcg = 0;
  // Groups above v, in rank order.
  let s = 0;
  while (s < top.length && scores[top[s]!]! > v) {
    let e = s;
    let r = 0;
    const g = scores[top[s]!]!;
    while (e < top.length && scores[top[e]!] === g) {
      if (relevant.has(top[e]!)) r++;
      e++;
    }
    hits += r;
    dcg += (r / (e - s)) * discountSum(s, e);
    s = e;
  }
  // The group tied at v occupies ranks [s, s + tied).
  if (tied > 0 && relTied > 0) {
    const end = Math.min(s + tied, k);
    hits += (relTied * (end - s)) / tied;
    dcg += (relTied / tied) * discountSum(s, end);
  }
  return { precision: hits / k, recall: hits / denom, ndcg: dcg / discountSum(0, denom), top };
}

/** The k best items not in `exclude`, best first, ties by item index ascending. */
export function topK(scores: ArrayLike<number>, k: number, exclude: ReadonlySet<number>): number[] {
  // A small sorted buffer: k is 10, so insertion beats a heap.
  const buf: number[] = [];
  const better = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && a < b);
  for (let i = 0; i < scores.length; i++) {
    const x = scores[i]!;
    if (x !== x || (exclude.size > 0 && exclude.has(i))) continue; // x !== x: NaN
    if (buf.length === k && !better(i, buf[k - 1]!)) continue;
    let p = buf.length === k ? k - 1 : buf.length;
    while (p > 0 && better(i, buf[p - 1]!)) {
      buf[p] = buf[p - 1]!;
      p--;
    }
    buf[p] = i;
  }
  return buf;
}

export interface Stat {
  mean: number;
  /** standard error: sample standard deviation / sqrt(n) */
  se: number;
}

export function meanSe(xs: readonly number[]): Stat {
  const n = xs.length;
  if (n === 0) return { mean: 0, se: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, se: 0 };
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, se: Math.sqrt(ss / (n - 1)) / Math.sqrt(n) };
}

export interface Report {
  users: number;
  precision: Stat;
  recall: Stat;
  ndcg: Stat;
  /** distinct items in all top-k lists / catalogue size */
  coverage: number;
  /** each test user's NDCG, in split.testUsers order (for paired comparisons) */
  ndcgs: number[];
}

/** Averages the metrics over the split's test users. */
export function evaluate(split: Split, score: Scorer, k = K): Report {
  const p: number[] = [];
  const r: number[] = [];
  const n: number[] = [];
  const shown = new Set<number>();
  for (const t of split.testUsers) {
    const m = userMetrics(score(t.user), t.exclude, t.relevant, t.relevantCount, k);
    p.push(m.precision);
    r.push(m.recall);
    n.push(m.ndcg);
    for (const i of m.top) shown.add(i);
  }
  return {
    users: split.testUsers.length,
    precision: meanSe(p),
    recall: meanSe(r),
    ndcg: meanSe(n),
    coverage: split.train.items ? shown.size / split.train.items : 0,
    ndcgs: n,
  };
}
