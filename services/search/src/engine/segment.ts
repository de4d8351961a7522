import type { DocStore } from './doc-store';
import { K1, lengthNorm, TITLE_WEIGHT, type LengthNorm } from './ranking';

/**
 * An immutable segment: the postings of a contiguous range of slots, CSR style — one array of
 * document numbers and one of impacts, cut by term (`offsets`), for the terms listed in `terms`
 * (sorted global ids, found by binary search). Built in bulk by counting sorts: a few passes over
 * the postings and no per-term object.
 *
 * Documents are numbered within the segment by decreasing boost (`slots` maps them back), so
 * every posting list runs from the most popular and recent documents down. A posting's impact is
 * saturated tf × boost (all of its score but the query's idf), and `maxSaturation` bounds each
 * term's saturated tf: past the point where boost × the query's best possible saturation falls
 * below the top-k's worst score, no later document of the segment can enter — a search reads the
 * head of even the longest lists and stops.
 */
export class Segment {
  /** Slots of this segment that were tombstoned after it was built. */
  dead = 0;

  constructor(
    readonly base: number,
    readonly end: number,
    /** Document number → slot, and → boost; by decreasing boost. */
    readonly slots: Int32Array,
    readonly boosts: Float64Array,
    readonly terms: Int32Array,
    readonly offsets: Int32Array,
    readonly docs: Int32Array,
    readonly impacts: Float32Array,
    readonly maxSaturation: Float32Array,
  ) {}

  /** Live documents when built. */
  get docCount(): number {
    return this.slots.length;
  }

  get postings(): number {
    return this.docs.length;
  }

  /** The index of the term in `terms`, or -1. */
  find(term: number): number {
    const t = this.terms;
    let lo = 0;
    let hi = t.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = t[mid]!;
      if (v < term) lo = mid + 1;
      else if (v > term) hi = mid - 1;
      else return mid;
    }
    return -1;
  }
}

/**
 * Postings as they are produced, before the sort by term: from documents (a tf byte: the title's
 * count in the high nibble, the body's in the low one) or from segments being merged (impacts).
 */
export class PostingBuffer {
  length = 0;
  term = new Int32Array(1 << 16);
  slot = new Int32Array(1 << 16);
  tf = new Uint8Array(1 << 16);
  impact = new Float32Array(0);

  push(term: number, slot: number, tf: number): void {
    if (this.length === this.term.length) this.grow();
    const i = this.length++;
    this.term[i] = term;
    this.slot[i] = slot;
    this.tf[i] = tf;
  }

  pushImpact(term: number, slot: number, impact: number): void {
    if (this.length === this.term.length) this.grow();
    if (this.impact.length < this.term.length) this.growImpacts();
    const i = this.length++;
    this.term[i] = term;
    this.slot[i] = slot;
    this.impact[i] = impact;
  }

  get hasImpacts(): boolean {
    return this.impact.length > 0;
  }

  clear(): void {
    this.length = 0;
    this.impact = new Float32Array(0);
  }

  private growImpacts(): void {
    const impact = new Float32Array(this.term.length);
    impact.set(this.impact);
    this.impact = impact;
  }

  private grow(): void {
    const n = this.term.length * 2;
    const term = new Int32Array(n);
    term.set(this.term);
    const slot = new Int32Array(n);
    slot.set(this.slot);
    const tf = new Uint8Array(n);
    tf.set(this.tf);
    this.term = term;
    this.slot = slot;
    this.tf = tf;
  }
}

/**
 * Builds the segment of slots [base, end) from the buffer's postings (dead slots dropped): the
 * live documents are numbered by decreasing boost, the postings sorted by that number (a counting
 * sort), then by term (a stable counting sort: each list ascends by number). `counts` is scratch
 * of at least the vocabulary's size, all zero, and left all zero.
 */
export function buildSegment(
  buffer: PostingBuffer,
  base: number,
  end: number,
  store: DocStore,
  counts: Int32Array,
  df: Int32Array,
): Segment {
  const { alive, boost } = store;
  const live: number[] = [];
  for (let s = base; s < end; s++) if (alive[s] !== 0) live.push(s);
  const slots = Int32Array.from(live).sort((a, b) => boost[b]! - boost[a]! || a - b);
  const boosts = Float64Array.from(slots, (s) => boost[s]!);
  const numberOf = new Int32Array(end - base).fill(-1);
  for (let i = 0; i < slots.length; i++) numberOf[slots[i]! - base] = i;

  // By document number.
  const norm = lengthNorm(
    store.titleLengthSum / Math.max(store.live, 1),
    store.bodyLengthSum / Math.max(store.live, 1),
  );
  const n = buffer.length;
  const { term, slot, tf, impact } = buffer;
  const fromTf = !buffer.hasImpacts;
  const perDoc = new Int32Array(slots.length + 1);
  let kept = 0;
  for (let p = 0; p < n; p++) {
    const d = numberOf[slot[p]! - base]!;
    if (d < 0) continue;
    perDoc[d + 1]!++;
    kept++;
  }
  for (let d = 0; d < slots.length; d++) perDoc[d + 1]! += perDoc[d]!;
  const byDocTerm = new Int32Array(kept);
  const byDocNumber = new Int32Array(kept);
  const byDocImpact = new Float32Array(kept);
  for (let p = 0; p < n; p++) {
    const s = slot[p]!;
    const d = numberOf[s - base]!;
    if (d < 0) continue;
    const w = perDoc[d]!++;
    byDocTerm[w] = term[p]!;
    byDocNumber[w] = d;
    byDocImpact[w] = fromTf ? saturation(tf[p]!, s, store, norm) * boost[s]! : impact[p]!;
  }

  // By term.
  const distinct: number[] = [];
  for (let p = 0; p < kept; p++) {
    const t = byDocTerm[p]!;
    const c = counts[t]!;
    counts[t] = c + 1;
    if (c === 0) distinct.push(t);
  }
  const terms = Int32Array.from(distinct).sort();
  const offsets = new Int32Array(terms.length + 1);
  let at = 0;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    offsets[i] = at;
    const c = counts[t]!;
    df[t] = df[t]! + c;
    counts[t] = at;
    at += c;
  }
  offsets[terms.length] = at;
  const docs = new Int32Array(kept);
  const impacts = new Float32Array(kept);
  for (let p = 0; p < kept; p++) {
    const w = counts[byDocTerm[p]!]!++;
    docs[w] = byDocNumber[p]!;
    impacts[w] = byDocImpact[p]!;
  }
  const maxSaturation = new Float32Array(terms.length);
  for (let i = 0; i < terms.length; i++) {
    counts[terms[i]!] = 0;
    let max = 0;
    for (let p = offsets[i]!, to = offsets[i + 1]!; p < to; p++) {
      const sat = impacts[p]! / boosts[docs[p]!]!;
      if (sat > max) max = sat;
    }
    // Float32 rounding could put an impact a hair above the bound.
    maxSaturation[i] = max * 1.0001;
  }
  return new Segment(base, end, slots, boosts, terms, offsets, docs, impacts, maxSaturation);
}

/** Saturated, length-normalised term frequency of one posting (tf byte as in PostingBuffer). */
function saturation(tf: number, slot: number, store: DocStore, norm: LengthNorm): number {
  const body = tf & 15;
  const title = tf >> 4;
  let f = 0;
  if (body !== 0) f = body / (norm.a + norm.bodyC * store.bodyLength[slot]!);
  if (title !== 0) f += (TITLE_WEIGHT * title) / (norm.a + norm.titleC * store.titleLength[slot]!);
  return (f * (K1 + 1)) / (f + K1);
}

/** Appends a segment's live postings to a buffer (term by term), and takes its counts out of df. */
export function drainSegment(
  segment: Segment,
  alive: Uint8Array,
  buffer: PostingBuffer,
  df: Int32Array,
): void {
  const { terms, offsets, docs, impacts, slots } = segment;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    const from = offsets[i]!;
    const to = offsets[i + 1]!;
    df[t] = df[t]! - (to - from);
    for (let p = from; p < to; p++) {
      const s = slots[docs[p]!]!;
      if (alive[s] !== 0) buffer.pushImpact(t, s, impacts[p]!);
    }
  }
}
