import type { DocStore } from './doc-store';
import { buildSegment, drainSegment, MAX_SEGMENT_DOCS, PostingBuffer, type Segment } from './segment';
import type { TermDictionary } from './terms';

/**
 * Big enough that a bulk load makes few segments (searches stop early in each, so a few more cost
 * little), small enough that building one (~40 MB of scratch) keeps peak memory down and one
 * merge stays under ~0.2 s. Segments are also cut at MAX_SEGMENT_DOCS documents.
 */
export const MAX_SEGMENT_POSTINGS = 2_000_000;
/** A segment is rewritten without its tombstoned documents once this share of them is dead. */
const MAX_DEAD_SHARE = 0.3;

/**
 * The segments in slot order, merged like a binary counter: a new segment merges with the one
 * before while that one is not more than twice its size, so there are O(log n) segments and each
 * posting is copied O(log n) times — small upserts stay cheap and searches visit few lists.
 */
export class SegmentSet {
  readonly list: Segment[] = [];
  private counts = new Int32Array(1 << 16);
  private readonly scratch = new PostingBuffer();

  constructor(
    private readonly store: DocStore,
    private readonly dictionary: TermDictionary,
  ) {}

  /** Turns a buffer of postings for slots [base, end) into a segment, then merges as the policy says. */
  add(buffer: PostingBuffer, base: number, end: number): void {
    if (end <= base) return;
    this.list.push(this.build(buffer, base, end));
    for (;;) {
      const n = this.list.length;
      if (n < 2) break;
      const a = this.list[n - 2]!;
      const b = this.list[n - 1]!;
      if (
        a.postings > 2 * b.postings ||
        a.postings + b.postings > MAX_SEGMENT_POSTINGS ||
        a.docCount + b.docCount > MAX_SEGMENT_DOCS
      )
        break;
      this.list.splice(n - 2, 2, this.merge([a, b]));
    }
  }

  /** Notes a tombstone in the segment holding the slot; rewrites the segment when too much of it is dead. */
  killed(slot: number): void {
    const i = this.indexOf(slot);
    if (i < 0) return;
    const segment = this.list[i]!;
    segment.dead++;
    if (segment.dead > MAX_DEAD_SHARE * segment.docCount) {
      const merged = this.merge([segment]);
      if (merged.docCount === 0) this.list.splice(i, 1);
      else this.list[i] = merged;
    }
  }

  private indexOf(slot: number): number {
    let lo = 0;
    let hi = this.list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.list[mid]!;
      if (slot < s.base) hi = mid - 1;
      else if (slot >= s.end) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  private merge(segments: Segment[]): Segment {
    const buffer = this.scratch;
    buffer.clear();
    for (const s of segments) drainSegment(s, this.store.alive, buffer, this.dictionary.df);
    const merged = this.build(buffer, segments[0]!.base, segments[segments.length - 1]!.end);
    buffer.release();
    return merged;
  }

  private build(buffer: PostingBuffer, base: number, end: number): Segment {
    const vocabulary = this.dictionary.size;
    if (this.counts.length < vocabulary)
      this.counts = new Int32Array(Math.max(vocabulary, this.counts.length * 2));
    return buildSegment(buffer, base, end, this.store, this.counts, this.dictionary.df);
  }
}
