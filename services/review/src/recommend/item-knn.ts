import { kthLargest, type TrainingData } from './model';

/**
 * Item-kNN, baseline (b): the binary like matrix, sim(i, j) = |U_i ∩ U_j| / (√(|U_i| |U_j|) + shrink)
 * (cosine with shrinkage; U_i = the users who liked i), each item keeps its k most similar items
 * (ties by item index), and a user's score for j is Σ over the items i they liked of sim(i, j).
 * Written apart from model.ts (which reduces to it with its weak, trend and decay terms off; a
 * spec checks that) but for the k-th-largest helper.
 */
export type ItemKnn = (user: number) => Float64Array;

/** One item-kNN per neighbour count in `ks`, all with `shrink`, from one co-occurrence count. */
export function trainItemKnns(data: TrainingData, shrink: number, ks: readonly number[]): ItemKnn[] {
  const { users, items } = data;
  const seen = new Set<number>();
  const likes: [number, number][] = [];
  for (const x of data.interactions) {
    const key = x.user * items + x.item;
    if (!x.like || seen.has(key)) continue;
    seen.add(key);
    likes.push([x.user, x.item]);
  }
  const liked = csr(users, likes, 0);
  const likers = csr(items, likes, 1);
  const maxK = Math.max(0, ...ks);
  // Item i's neighbours, best first, at [i * maxK, i * maxK + count[i]).
  const nb = new Int32Array(items * maxK);
  const sim = new Float64Array(items * maxK);
  const count = new Int32Array(items);
  const co = new Float64Array(items);
  const touched = new Int32Array(items);
  const buf = new Float64Array(items);
  const size = (i: number) => likers.start[i + 1]! - likers.start[i]!;
  for (let i = 0; i < items; i++) {
    let n = 0;
    for (let y = likers.start[i]!; y < likers.start[i + 1]!; y++) {
      const v = likers.other[y]!;
      for (let x = liked.start[v]!; x < liked.start[v + 1]!; x++) {
        const j = liked.other[x]!;
        if (j === i) continue;
        if (co[j] === 0) touched[n++] = j;
        co[j]!++;
      }
    }
    for (let t = 0; t < n; t++) {
      const j = touched[t]!;
      co[j] = co[j]! / (Math.sqrt(size(i) * size(j)) + shrink);
      buf[t] = co[j]!;
    }
    const threshold = n > maxK ? kthLargest(buf, n, maxK) : 0;
    const row: number[] = [];
    for (let t = 0; t < n; t++) if (co[touched[t]!]! >= threshold) row.push(touched[t]!);
    row.sort((a, b) => co[b]! - co[a]! || a - b);
    count[i] = Math.min(row.length, maxK);
    for (let r = 0; r < count[i]!; r++) {
      nb[i * maxK + r] = row[r]!;
      sim[i * maxK + r] = co[row[r]!]!;
    }
    for (let t = 0; t < n; t++) co[touched[t]!] = 0;
  }
  return ks.map((k) => (user: number) => {
    const out = new Float64Array(items);
    if (user < 0 || user >= users) return out;
    for (let x = liked.start[user]!; x < liked.start[user + 1]!; x++) {
      const i = liked.other[x]!;
      const end = i * maxK + Math.min(k, count[i]!);
      for (let y = i * maxK; y < end; y++) out[nb[y]!]! += sim[y]!;
    }
    return out;
  });
}

export function trainItemKnn(data: TrainingData, k: number, shrink: number): ItemKnn {
  return trainItemKnns(data, shrink, [k])[0]!;
}

/** Compressed rows of (row, other) pairs: `side` 0 groups by the pair's first element, 1 by its second. */
function csr(n: number, pairs: readonly [number, number][], side: 0 | 1) {
  const start = new Int32Array(n + 1);
  for (const p of pairs) start[p[side] + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, n);
  const other = new Int32Array(pairs.length);
  for (const p of pairs) other[fill[p[side]]!++] = p[1 - side]!;
  return { start, other };
}
