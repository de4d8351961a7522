import type { DocStore } from './doc-store';
import { K1, lengthNorm, TITLE_WEIGHT } from './ranking';

/** Documents a segment holds at most: their numbers fit the 16 bits of a posting. */
export const MAX_SEGMENT_DOCS = 1 << 16;
/** Postings per block of `blockMax` (a power of two). */
export const BLOCK_BITS = 6;
export const BLOCK = 1 << BLOCK_BITS;

/**
 * An immutable segment: the postings of a contiguous range of slots, CSR style — one array of
 * document numbers and one of tf bytes, cut by term (`offsets`), for the terms listed in `terms`
 * (sorted global ids, found by binary search). Built in bulk by counting sorts: a few passes over
 * the postings and no per-term object. Three bytes a posting: a 16-bit document number (a segment
 * holds at most 65,536 documents) and the tf byte (title count high nibble, body count low).
 *
 * Documents are numbered within the segment by decreasing boost (`slots` maps them back), so
 * every posting list runs from the most popular and recent documents down. A posting's impact —
 * all of its score but the query's idf — is boost × saturation, the saturation computed from the
 * tf byte and the document's length norms (fixed when the segment is built, with the average
 * lengths of then, like the bounds; a merge recomputes them);
 * `maxSaturation` bounds each term's: past the point where boost × the query's best possible
 * saturation falls below the top-k's worst score, no later document of the segment can enter — a
 * search reads the head of even the longest lists and stops. Within that head, `blockMax` bounds
 * the saturations of each block of 64 postings (the array cut in blocks regardless of terms), so
 * that blocks of documents that all match weakly are passed over; and `docMax` bounds each
 * document's saturations, so that a long document (whose every term saturates little) is not
 * probed for the other terms of a query when even at that bound it could not enter.
 */
export class Segment {
  /** Slots of this segment that were tombstoned after it was built. */
  dead = 0;

  constructor(
    readonly base: number,
    readonly end: number,
    /** Document number → slot, → boost, → 1 / the body's and the title's length norm; by decreasing boost. */
    readonly slots: Int32Array,
    readonly boosts: Float64Array,
    readonly bodyNorm: Float32Array,
    /** Empty when no document of the segment has a title. */
    readonly titleNorm: Float32Array,
    readonly terms: Int32Array,
    readonly offsets: Int32Array,
    readonly docs: Uint16Array,
    readonly tfs: Uint8Array,
    readonly maxSaturation: Float32Array,
    readonly blockMax: Float32Array,
    /** Document number → the largest saturation of any of its terms. */
    readonly docMax: Float32Array,
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
 * Saturated, length-normalised term frequency of posting p of document d: BM25F's
 * (f × (k1 + 1)) / (f + k1) over the fields' normalised counts.
 */
export function saturation(segment: Segment, p: number, d: number): number {
  const tf = segment.tfs[p]!;
  let f = (tf & 15) * segment.bodyNorm[d]!;
  if (tf >= 16) f += TITLE_WEIGHT * (tf >> 4) * segment.titleNorm[d]!;
  return (f * (K1 + 1)) / (f + K1);
}

const INITIAL = 1 << 16;

/**
 * Postings as they are produced, before the sort by term: term, slot and tf byte (title count
 * high nibble, body count low), from documents or from segments being merged.
 */
export class PostingBuffer {
  length = 0;
  term = new Int32Array(INITIAL);
  slot = new Int32Array(INITIAL);
  tf = new Uint8Array(INITIAL);

  push(term: number, slot: number, tf: number): void {
    if (this.length === this.term.length) this.grow();
    const i = this.length++;
    this.term[i] = term;
    this.slot[i] = slot;
    this.tf[i] = tf;
  }

  clear(): void {
    this.length = 0;
  }

  /** Empties the buffer and gives back the memory a bulk load grew it to. */
  release(): void {
    this.clear();
    if (this.term.length > INITIAL) {
      this.term = new Int32Array(INITIAL);
      this.slot = new Int32Array(INITIAL);
      this.tf = new Uint8Array(INITIAL);
    }
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
 * live documents (at most MAX_SEGMENT_DOCS) are numbered by decreasing boost, the postings sorted
 * by that number (a counting sort), then by term (a stable counting sort: each list ascends by
 * number). The length norms are the store's averages now. `counts` is scratch of at least the
 * vocabulary's size, all zero, and left all zero.
 */
export function buildSegment(
  buffer: PostingBuffer,
  base: number,
  end: number,
  store: DocStore,
  counts: Int32Array,
  df: Int32Array,
): Segment {
  const { alive } = store;
  const boostOf = new Float64Array(end - base);
  const live: number[] = [];
  for (let s = base; s < end; s++) {
    if (alive[s] === 0) continue;
    live.push(s);
    boostOf[s - base] = store.boost(s);
  }
  if (live.length > MAX_SEGMENT_DOCS)
    throw new RangeError(`a segment holds at most ${MAX_SEGMENT_DOCS} documents`);
  const slots = Int32Array.from(live).sort((a, b) => boostOf[b - base]! - boostOf[a - base]! || a - b);
  const docCount = slots.length;
  const boosts = Float64Array.from(slots, (s) => boostOf[s - base]!);
  const numberOf = new Int32Array(end - base).fill(-1);
  for (let i = 0; i < docCount; i++) numberOf[slots[i]! - base] = i;

  const norm = lengthNorm(
    store.titleLengthSum / Math.max(store.live, 1),
    store.bodyLengthSum / Math.max(store.live, 1),
  );
  const bodyNorm = new Float32Array(docCount);
  let titled = false;
  for (let d = 0; d < docCount; d++) {
    const s = slots[d]!;
    bodyNorm[d] = 1 / (norm.a + norm.bodyC * store.bodyLength[s]!);
    if (store.titleLength[s] !== 0) titled = true;
  }
  const titleNorm = new Float32Array(titled ? docCount : 0);
  if (titled) {
    for (let d = 0; d < docCount; d++)
      titleNorm[d] = 1 / (norm.a + norm.titleC * store.titleLength[slots[d]!]!);
  }

  // By document number.
  const n = buffer.length;
  const { term, slot, tf } = buffer;
  const perDoc = new Int32Array(docCount + 1);
  let kept = 0;
  for (let p = 0; p < n; p++) {
    const d = numberOf[slot[p]! - base]!;
    if (d < 0) continue;
    perDoc[d + 1]!++;
    kept++;
  }
  for (let d = 0; d < docCount; d++) perDoc[d + 1]! += perDoc[d]!;
  const byDocTerm = new Int32Array(kept);
  const byDocNumber = new Uint16Array(kept);
  const byDocTf = new Uint8Array(kept);
  for (let p = 0; p < n; p++) {
    const d = numberOf[slot[p]! - base]!;
    if (d < 0) continue;
    const w = perDoc[d]!++;
    byDocTerm[w] = term[p]!;
    byDocNumber[w] = d;
    byDocTf[w] = tf[p]!;
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
  const docs = new Uint16Array(kept);
  const tfs = new Uint8Array(kept);
  for (let p = 0; p < kept; p++) {
    const w = counts[byDocTerm[p]!]!++;
    docs[w] = byDocNumber[p]!;
    tfs[w] = byDocTf[p]!;
  }
  const maxSaturation = new Float32Array(terms.length);
  const blockMax = new Float32Array((kept + BLOCK - 1) >> BLOCK_BITS);
  const docMax = new Float32Array(docCount);
  const segment = new Segment(
    base,
    end,
    slots,
    boosts,
    bodyNorm,
    titleNorm,
    terms,
    offsets,
    docs,
    tfs,
    maxSaturation,
    blockMax,
    docMax,
  );
  for (let i = 0; i < terms.length; i++) {
    counts[terms[i]!] = 0;
    let max = 0;
    for (let p = offsets[i]!, to = offsets[i + 1]!; p < to; p++) {
      const sat = saturation(segment, p, docs[p]!);
      if (sat > max) max = sat;
      const b = p >> BLOCK_BITS;
      if (sat > blockMax[b]!) blockMax[b] = sat;
      const d = docs[p]!;
      if (sat > docMax[d]!) docMax[d] = sat;
    }
    // Stored as Float32: rounded up a hair, so that it still bounds.
    maxSaturation[i] = max * 1.0001;
  }
  for (let b = 0; b < blockMax.length; b++) blockMax[b] = blockMax[b]! * 1.0001;
  for (let d = 0; d < docCount; d++) docMax[d] = docMax[d]! * 1.0001;
  return segment;
}

/** Appends a segment's live postings to a buffer (term by term), and takes its counts out of df. */
export function drainSegment(
  segment: Segment,
  alive: Uint8Array,
  buffer: PostingBuffer,
  df: Int32Array,
): void {
  const { terms, offsets, docs, tfs, slots } = segment;
  for (let i = 0; i < terms.length; i++) {
    const t = terms[i]!;
    const from = offsets[i]!;
    const to = offsets[i + 1]!;
    df[t] = df[t]! - (to - from);
    for (let p = from; p < to; p++) {
      const s = slots[docs[p]!]!;
      if (alive[s] !== 0) buffer.push(t, s, tfs[p]!);
    }
  }
}
