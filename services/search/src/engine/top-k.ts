import type { DocStore } from './doc-store';

export interface Ranked {
  slot: number;
  coverage: number;
  relevance: number;
}

/**
 * The best `capacity` documents seen so far. Candidates that could rank among them are appended
 * to a buffer of twice the capacity; when it fills, a quickselect keeps the best `capacity` and
 * the worst of those becomes the bar a candidate must reach — amortised constant work per
 * candidate, where a heap of a deep page (1,000) pays ten levels each. The common case, a
 * candidate below the bar, costs two comparisons and no allocation. Order: coverage, relevance,
 * newer, then id.
 */
export class TopK {
  /** Candidates held (up to twice the capacity). */
  private count = 0;
  private readonly coverage: Float64Array;
  private readonly relevance: Float64Array;
  private readonly slots: Int32Array;
  /** Once `capacity` candidates were seen: the worst of the best `capacity` at the last cut (a lower bound of the final worst). */
  private barCoverage = -Infinity;
  private barRelevance = -Infinity;
  private reached = false;

  constructor(
    readonly capacity: number,
    private readonly store: DocStore,
  ) {
    this.coverage = new Float64Array(2 * capacity);
    this.relevance = new Float64Array(2 * capacity);
    this.slots = new Int32Array(2 * capacity);
  }

  offer(coverage: number, relevance: number, slot: number): void {
    if (this.capacity === 0) return;
    if (
      this.reached &&
      (coverage < this.barCoverage || (coverage === this.barCoverage && relevance < this.barRelevance))
    ) {
      return;
    }
    const i = this.count++;
    this.coverage[i] = coverage;
    this.relevance[i] = relevance;
    this.slots[i] = slot;
    if (i + 1 === this.capacity && !this.reached) {
      // The first `capacity`: the bar is the worst of them.
      this.reached = true;
      this.setBar(this.worst(0, this.capacity));
    } else if (i + 1 === this.coverage.length) {
      this.cut();
    }
  }

  /** The kept documents, best first. */
  sorted(): Ranked[] {
    return this.page(0, this.capacity).hits;
  }

  /**
   * The kept documents ranked [from, to), best first, and how many are kept: the first `from` are
   * only selected, not sorted.
   */
  page(from: number, to: number): { hits: Ranked[]; kept: number } {
    if (this.count > this.capacity) this.cut();
    const kept = this.count;
    if (from >= kept) return { hits: [], kept };
    if (from > 0) this.select(from);
    const order = Array.from({ length: kept - from }, (_, i) => from + i);
    order.sort((a, b) => (this.above(a, b) ? -1 : this.above(b, a) ? 1 : 0));
    const hits = order
      .slice(0, Math.max(0, to - from))
      .map((i) => ({ slot: this.slots[i]!, coverage: this.coverage[i]!, relevance: this.relevance[i]! }));
    return { hits, kept };
  }

  /** Whether `capacity` candidates were seen: from then on `minCoverage`/`minRelevance` bound what can still enter. */
  get full(): boolean {
    return this.reached;
  }

  /** A candidate ranking below this coverage and relevance cannot enter (meaningful once full). */
  get minCoverage(): number {
    return this.barCoverage;
  }

  get minRelevance(): number {
    return this.barRelevance;
  }

  /** Whether a candidate scoring this could enter: a cheap pre-check. */
  wouldTake(coverage: number, relevance: number): boolean {
    if (!this.reached) return true;
    const c = this.barCoverage;
    return coverage > c || (coverage === c && relevance >= this.barRelevance);
  }

  private setBar(i: number): void {
    this.barCoverage = this.coverage[i]!;
    this.barRelevance = this.relevance[i]!;
  }

  /** The index of the worst candidate in [from, to). */
  private worst(from: number, to: number): number {
    let w = from;
    for (let i = from + 1; i < to; i++) if (this.above(w, i)) w = i;
    return w;
  }

  /** Keeps the best `capacity` candidates, their worst the new bar. */
  private cut(): void {
    const k = this.capacity;
    this.select(k);
    this.count = k;
    this.setBar(k - 1);
  }

  /** Quickselect: the k best candidates first, the k-th best at k - 1. */
  private select(k: number): void {
    let lo = 0;
    let hi = this.count - 1;
    // Partition until position k - 1 holds the k-th best, the better ones before it.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      // Median of three as the pivot, moved to hi.
      if (this.above(mid, lo)) this.swap(mid, lo);
      if (this.above(hi, lo)) this.swap(hi, lo);
      if (this.above(mid, hi)) this.swap(mid, hi);
      let store = lo;
      for (let i = lo; i < hi; i++) {
        if (this.above(i, hi)) this.swap(i, store++);
      }
      this.swap(store, hi);
      if (store === k - 1) break;
      if (store < k - 1) lo = store + 1;
      else hi = store - 1;
    }
  }

  /** Whether candidate i ranks above candidate j. */
  private above(i: number, j: number): boolean {
    const ci = this.coverage[i]!;
    const cj = this.coverage[j]!;
    if (ci !== cj) return ci > cj;
    const ri = this.relevance[i]!;
    const rj = this.relevance[j]!;
    if (ri !== rj) return ri > rj;
    const si = this.slots[i]!;
    const sj = this.slots[j]!;
    if (si === sj) return false;
    const created = this.store.created;
    if (created[si] !== created[sj]) return created[si]! > created[sj]!;
    const ids = this.store.texts.compareIds(si, sj);
    return ids !== 0 ? ids < 0 : si > sj;
  }

  private swap(i: number, j: number): void {
    if (i === j) return;
    const c = this.coverage[i]!;
    const r = this.relevance[i]!;
    const s = this.slots[i]!;
    this.coverage[i] = this.coverage[j]!;
    this.relevance[i] = this.relevance[j]!;
    this.slots[i] = this.slots[j]!;
    this.coverage[j] = c;
    this.relevance[j] = r;
    this.slots[j] = s;
  }
}
