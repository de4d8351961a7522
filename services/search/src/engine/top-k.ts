import type { DocStore } from './doc-store';

/**
 * The best `capacity` documents seen so far: a min-heap (worst at the root) over parallel arrays,
 * so that the common case — a candidate worse than the worst kept — costs two comparisons and no
 * allocation. Order: coverage, relevance, newer, then id.
 */
export class TopK {
  size = 0;
  private readonly coverage: Float64Array;
  private readonly relevance: Float64Array;
  private readonly slots: Int32Array;

  constructor(
    readonly capacity: number,
    private readonly store: DocStore,
  ) {
    this.coverage = new Float64Array(capacity);
    this.relevance = new Float64Array(capacity);
    this.slots = new Int32Array(capacity);
  }

  offer(coverage: number, relevance: number, slot: number): void {
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      let i = this.size++;
      // Sift up.
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.below(coverage, relevance, slot, parent)) break;
        this.move(parent, i);
        i = parent;
      }
      this.set(i, coverage, relevance, slot);
      return;
    }
    if (this.below(coverage, relevance, slot, 0)) return;
    // Replace the root and sift down.
    let i = 0;
    const n = this.size;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && this.belowAt(child + 1, child)) child++;
      if (!this.aboveAt(coverage, relevance, slot, child)) break;
      this.move(child, i);
      i = child;
    }
    this.set(i, coverage, relevance, slot);
  }

  /** The kept documents, best first. */
  sorted(): { slot: number; coverage: number; relevance: number }[] {
    const out = [];
    for (let i = 0; i < this.size; i++) {
      out.push({ slot: this.slots[i]!, coverage: this.coverage[i]!, relevance: this.relevance[i]! });
    }
    return out.sort((a, b) =>
      this.ranksBelow(a.coverage, a.relevance, a.slot, b.coverage, b.relevance, b.slot) ? 1 : -1,
    );
  }

  get full(): boolean {
    return this.size === this.capacity;
  }

  /** The worst kept document's coverage and relevance (meaningful once full). */
  get minCoverage(): number {
    return this.coverage[0]!;
  }

  get minRelevance(): number {
    return this.relevance[0]!;
  }

  /** Whether the worst kept document would be displaced by one scoring this: a cheap pre-check. */
  wouldTake(coverage: number, relevance: number): boolean {
    if (this.size < this.capacity) return true;
    const c = this.coverage[0]!;
    return coverage > c || (coverage === c && relevance >= this.relevance[0]!);
  }

  private below(coverage: number, relevance: number, slot: number, i: number): boolean {
    return this.ranksBelow(coverage, relevance, slot, this.coverage[i]!, this.relevance[i]!, this.slots[i]!);
  }

  private aboveAt(coverage: number, relevance: number, slot: number, i: number): boolean {
    return this.ranksBelow(this.coverage[i]!, this.relevance[i]!, this.slots[i]!, coverage, relevance, slot);
  }

  private belowAt(i: number, j: number): boolean {
    return this.ranksBelow(
      this.coverage[i]!,
      this.relevance[i]!,
      this.slots[i]!,
      this.coverage[j]!,
      this.relevance[j]!,
      this.slots[j]!,
    );
  }

  private ranksBelow(ac: number, ar: number, as: number, bc: number, br: number, bs: number): boolean {
    if (ac !== bc) return ac < bc;
    if (ar !== br) return ar < br;
    const created = this.store.created;
    if (created[as] !== created[bs]) return created[as]! < created[bs]!;
    const ids = this.store.ids;
    if (ids[as] !== ids[bs]) return ids[as]! > ids[bs]!;
    return as < bs;
  }

  private move(from: number, to: number): void {
    this.coverage[to] = this.coverage[from]!;
    this.relevance[to] = this.relevance[from]!;
    this.slots[to] = this.slots[from]!;
  }

  private set(i: number, coverage: number, relevance: number, slot: number): void {
    this.coverage[i] = coverage;
    this.relevance[i] = relevance;
    this.slots[i] = slot;
  }
}
