/**
 * The popular tab's recommendation model (issue 22): item-based collaborative filtering over likes,
 * multiplied by a prior for what the audience is turning to now — recent activity, as a share of
 * the item's whole history (the early audience of new releases). Pure: no I/O.
 *
 * Training, for data ending at `now` (ages are measured from it):
 *
 * 1. Each (user, item) pair becomes one entry: a like if any of its interactions was a like (else
 *    weak), dated by its latest interaction.
 * 2. Item–item similarity: cosine with shrinkage over per-entry evidence a(v, i) = (1 for a like,
 *    `weakSim` for a weak entry) · exp(−age/`tauSim`) · 1/log2(2 + |v|)^`iuf`; a co-occurrence also
 *    fades with the time between the user's two entries: c(i, j) = Σ_v a(v, i) a(v, j)
 *    exp(−|t(v, i) − t(v, j)|/`tauGap`), sim(i, j) = c / (√(n_i n_j) + `shrink`), n_i = Σ_v a(v, i)².
 *    Each item keeps its `neighbours` most similar items (ties by index).
 * 3. The prior of item j: trend(j) = Σ over j's entries of (1 for a like, `weakTrend` for a weak
 *    entry) · exp(−age/`tauTrend`), divided by the largest trend; prior(j) = (trend(j) +
 *    `trendFloor`)^`trendPower` / (1 + |j's entries|)^`beta`. The division makes it a *rising*
 *    share: a movie first reviewed a few weeks before `now` has most of its few entries recent
 *    (its early audience), an old hit has many entries and few recent ones.
 *
 * Scoring user u: cf(j) = Σ over u's entries i of w(u, i) sim(i, j), w(u, i) = (1 for a like,
 * `weak` for a weak entry) · exp(−age/`tauUser`); score(j) = (cf(j) + `blend` · mean w · trend(j)) ·
 * prior(j). `because` is the entry i with the largest term w(u, i) sim(i, j), or −1 when no
 * history item scored j. A tau of 0 means no decay. With the weak, trend, decay and IUF terms off
 * the model is exactly item-kNN (item-knn.ts; model.spec.ts checks it).
 *
 * Cost of a full refresh: O(Σ_v |v|²) multiply-adds to count co-occurrences (one pass per item over
 * its users' entries into a dense accumulator; ≈ 3 s on the full 575k NSMC reviews),
 * plus a selection of each item's best neighbours; memory O(entries + items · neighbours). Scoring
 * a user is O(|u| · neighbours + items). Nothing is incremental: the similarity rows of every item
 * a new entry's user touched would change, and the prior's normalisation changes daily.
 */

export interface Interaction {
  user: number; // dense index 0..users-1
  item: number; // dense index 0..items-1
  /** true: an explicit positive (a like, a scrap, a high rating); false: engaged without liking (a lower rating, a comment) */
  like: boolean;
  /** when, ms since epoch */
  at: number;
}

export interface TrainingData {
  users: number;
  items: number;
  interactions: Interaction[];
  /** the end of the data (ms): ages are measured from here */
  now: number;
}

export interface ModelParams {
  /** neighbours kept per item */
  neighbours: number;
  /** cosine shrinkage */
  shrink: number;
  /** a weak entry's weight in similarity evidence (a like's is 1) */
  weakSim: number;
  /** a weak entry's weight in the user's profile */
  weak: number;
  /** days: decay of similarity evidence with its age (0: none) */
  tauSim: number;
  /** days: decay of a co-occurrence with the time between the user's two entries (0: none) */
  tauGap: number;
  /** exponent of the inverse-user-frequency weight 1/log2(2 + |v|) (0: none) */
  iuf: number;
  /** days: decay of the user's history with age (0: none) */
  tauUser: number;
  /** days: decay of the trend prior */
  tauTrend: number;
  /** a weak entry's weight in the trend prior */
  weakTrend: number;
  /** exponent of the trend prior multiplying scores (0: none) */
  trendPower: number;
  /** added to the normalised trend before the power */
  trendFloor: number;
  /** weight of the additive trend term (0: none) */
  blend: number;
  /** popularity penalty: scores are divided by (1 + the item's entries)^beta (0: none) */
  beta: number;
}

/**
 * Tuned on the validation split only (train < 2013-07-01, validate 2013-07..12, the protocol of
 * evaluate.ts), by coordinate search: `neighbours` and `shrink`, the prior (`trendPower`,
 * `tauTrend`, `beta`, `trendFloor`, `weakTrend`) and the weak, decay and IUF terms, one at a time
 * — `npm run bench -- recommend --sweep` prints the last round. The weak signals, the
 * history and evidence decays and IUF did not help on validation (within ±0.5 standard error, or
 * worse) and are off; weak entries count half in the trend.
 */
export const DEFAULT_PARAMS: ModelParams = {
  neighbours: 50,
  shrink: 20,
  weakSim: 0,
  weak: 0,
  tauSim: 0,
  tauGap: 0,
  iuf: 0,
  tauUser: 0,
  tauTrend: 60,
  weakTrend: 0.5,
  trendPower: 1,
  trendFloor: 0.01,
  blend: 0,
  beta: 0.5,
};

export interface Recommendation {
  item: number;
  score: number;
  /** the user's own item that contributed most to this score, or -1 */
  because: number;
}

export interface Model {
  /** The user's top k items, best first, never one in `exclude`; ties broken by item index ascending. Users with no history get []. */
  recommend(user: number, k: number, exclude: ReadonlySet<number>): Recommendation[];
}

/** A model that also exposes every item's score (the offline evaluation ranks all items). */
export interface ScoringModel extends Model {
  /** every item's score for the user (all 0 for a user with no history) */
  scores(user: number): Float64Array;
}

const DAY = 86_400_000;

/** The entries (deduplicated interactions) of users or items, in compressed rows. */
interface Rows {
  start: Int32Array;
  other: Int32Array;
  like: Uint8Array;
  at: Float64Array;
}

function decay(ageMs: number, tauDays: number): number {
  return tauDays === 0 ? 1 : Math.exp(-Math.max(0, ageMs) / (tauDays * DAY));
}

export function trainModel(data: TrainingData, params: ModelParams = DEFAULT_PARAMS): ScoringModel {
  const p = params;
  const { users: nUsers, items: nItems, now } = data;
  // 1. Deduplicate (user, item): a like if any, dated by the latest.
  const entry = new Map<number, number>(); // user * nItems + item → index into arrays below
  const eUser: number[] = [];
  const eItem: number[] = [];
  const eLike: number[] = [];
  const eAt: number[] = [];
  for (const x of data.interactions) {
    if (x.user < 0 || x.user >= nUsers || x.item < 0 || x.item >= nItems) continue;
    const key = x.user * nItems + x.item;
    const e = entry.get(key);
    if (e === undefined) {
      entry.set(key, eUser.length);
      eUser.push(x.user);
      eItem.push(x.item);
      eLike.push(x.like ? 1 : 0);
      eAt.push(x.at);
    } else {
      if (x.like) eLike[e] = 1;
      if (x.at > eAt[e]!) eAt[e] = x.at;
    }
  }
  const byUser = rows(nUsers, eUser, eItem, eLike, eAt);
  const byItem = rows(nItems, eItem, eUser, eLike, eAt);

  // 2. Similarity evidence per entry, for both row layouts.
  const evidence = (v: number, like: number, at: number) =>
    (like ? 1 : p.weakSim) *
    decay(now - at, p.tauSim) *
    (p.iuf === 0 ? 1 : Math.log2(2 + byUser.start[v + 1]! - byUser.start[v]!) ** -p.iuf);
  const userEvidence = new Float64Array(byUser.other.length);
  for (let v = 0; v < nUsers; v++) {
    for (let x = byUser.start[v]!; x < byUser.start[v + 1]!; x++) {
      userEvidence[x] = evidence(v, byUser.like[x]!, byUser.at[x]!);
    }
  }
  const norm = new Float64Array(nItems);
  const itemEvidence = new Float64Array(byItem.other.length);
  for (let i = 0; i < nItems; i++) {
    for (let y = byItem.start[i]!; y < byItem.start[i + 1]!; y++) {
      const a = evidence(byItem.other[y]!, byItem.like[y]!, byItem.at[y]!);
      itemEvidence[y] = a;
      norm[i]! += a * a;
    }
  }
  const nbStart = new Int32Array(nItems + 1);
  const nbItem: number[] = [];
  const nbSim: number[] = [];
  const acc = new Float64Array(nItems);
  const touched = new Int32Array(nItems);
  const buf = new Float64Array(nItems);
  const mark = new Uint8Array(nItems);
  const gapMs = p.tauGap === 0 ? Infinity : p.tauGap * DAY;
  for (let i = 0; i < nItems; i++) {
    nbStart[i] = nbItem.length;
    let n = 0;
    for (let y = byItem.start[i]!; y < byItem.start[i + 1]!; y++) {
      const v = byItem.other[y]!;
      const ai = itemEvidence[y]!;
      const ti = byItem.at[y]!;
      if (ai === 0) continue;
      for (let x = byUser.start[v]!; x < byUser.start[v + 1]!; x++) {
        const j = byUser.other[x]!;
        if (j === i) continue;
        let c = ai * userEvidence[x]!;
        if (gapMs !== Infinity) c *= Math.exp(-Math.abs(ti - byUser.at[x]!) / gapMs);
        if (!mark[j]) {
          mark[j] = 1;
          touched[n++] = j;
        }
        acc[j]! += c;
      }
    }
    for (let t = 0; t < n; t++) {
      const j = touched[t]!;
      acc[j] = acc[j]! / (Math.sqrt(norm[i]! * norm[j]!) + p.shrink);
      buf[t] = acc[j]!;
    }
    // The threshold of the best `neighbours`: the k-th largest similarity.
    let threshold = 0;
    if (n > p.neighbours) threshold = kthLargest(buf, n, p.neighbours);
    const kept: number[] = [];
    for (let t = 0; t < n; t++) {
      const j = touched[t]!;
      if (acc[j]! > 0 && acc[j]! >= threshold) kept.push(j);
    }
    kept.sort((a, b) => acc[b]! - acc[a]! || a - b);
    for (const j of kept.slice(0, p.neighbours)) {
      nbItem.push(j);
      nbSim.push(acc[j]!);
    }
    for (let t = 0; t < n; t++) {
      acc[touched[t]!] = 0;
      mark[touched[t]!] = 0;
    }
  }
  nbStart[nItems] = nbItem.length;
  const nb = Int32Array.from(nbItem);
  const nbS = Float64Array.from(nbSim);

  // 3. Trend prior.
  const trend = new Float64Array(nItems);
  let maxTrend = 0;
  for (let i = 0; i < nItems; i++) {
    let t = 0;
    for (let y = byItem.start[i]!; y < byItem.start[i + 1]!; y++) {
      t += (byItem.like[y] ? 1 : p.weakTrend) * decay(now - byItem.at[y]!, p.tauTrend);
    }
    trend[i] = t;
    if (t > maxTrend) maxTrend = t;
  }
  const prior = new Float64Array(nItems);
  for (let i = 0; i < nItems; i++) {
    const t = maxTrend > 0 ? trend[i]! / maxTrend : 0;
    trend[i] = t;
    prior[i] = p.trendPower === 0 ? 1 : (t + p.trendFloor) ** p.trendPower;
    if (p.beta !== 0) prior[i]! /= (1 + byItem.start[i + 1]! - byItem.start[i]!) ** p.beta;
  }

  /** Scores every item for `user`; with `because`, also the best contributing history item. */
  function score(user: number, because?: Int32Array): Float64Array {
    const out = new Float64Array(nItems);
    if (user < 0 || user >= nUsers) return out;
    const s = byUser.start[user]!;
    const e = byUser.start[user + 1]!;
    if (s === e) return out;
    const best = because ? new Float64Array(nItems) : undefined;
    let wSum = 0;
    for (let x = s; x < e; x++) {
      const i = byUser.other[x]!;
      const w = (byUser.like[x] ? 1 : p.weak) * decay(now - byUser.at[x]!, p.tauUser);
      wSum += w;
      if (w === 0) continue;
      for (let y = nbStart[i]!; y < nbStart[i + 1]!; y++) {
        const j = nb[y]!;
        const c = w * nbS[y]!;
        out[j]! += c;
        if (best && c > best[j]!) {
          best[j] = c;
          because![j] = i;
        }
      }
    }
    const b = p.blend * (wSum / (e - s));
    for (let j = 0; j < nItems; j++) out[j] = (out[j]! + b * trend[j]!) * prior[j]!;
    return out;
  }

  return {
    scores: (user) => score(user),
    recommend(user, k, exclude) {
      if (user < 0 || user >= nUsers || byUser.start[user] === byUser.start[user + 1]) return [];
      const because = new Int32Array(nItems).fill(-1);
      const sc = score(user, because);
      const top: number[] = [];
      const better = (a: number, b: number) => sc[a]! > sc[b]! || (sc[a] === sc[b] && a < b);
      for (let j = 0; j < nItems && k > 0; j++) {
        if (exclude.has(j)) continue;
        if (top.length === k && !better(j, top[k - 1]!)) continue;
        let q = top.length === k ? k - 1 : top.length;
        while (q > 0 && better(j, top[q - 1]!)) {
          top[q] = top[q - 1]!;
          q--;
        }
        top[q] = j;
      }
      return top.map((item) => ({ item, score: sc[item]!, because: because[item]! }));
    },
  };
}

function rows(n: number, key: number[], other: number[], like: number[], at: number[]): Rows {
  const start = new Int32Array(n + 1);
  for (const k of key) start[k + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, n);
  const r: Rows = {
    start,
    other: new Int32Array(key.length),
    like: new Uint8Array(key.length),
    at: new Float64Array(key.length),
  };
  for (let e = 0; e < key.length; e++) {
    const q = fill[key[e]!]!++;
    r.other[q] = other[e]!;
    r.like[q] = like[e]!;
    r.at[q] = at[e]!;
  }
  return r;
}

/** The k-th largest of buf[0..n) (1 ≤ k ≤ n), by quickselect; reorders buf. */
export function kthLargest(buf: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  const target = k - 1;
  while (lo < hi) {
    const pivot = buf[(lo + hi) >> 1]!;
    let l = lo;
    let r = hi;
    while (l <= r) {
      while (buf[l]! > pivot) l++;
      while (buf[r]! < pivot) r--;
      if (l <= r) {
        const t = buf[l]!;
        buf[l++] = buf[r]!;
        buf[r--] = t;
      }
    }
    if (target <= r) hi = r;
    else if (target >= l) lo = l;
    else break;
  }
  return buf[target]!;
}
