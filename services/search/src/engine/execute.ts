import type { DocStore } from './doc-store';
import type { QueryPlan } from './query';
import { FULL_WORD, K1, TITLE_WEIGHT } from './ranking';
import { BLOCK, BLOCK_BITS as BLOCK_SHIFT, saturation, type Segment } from './segment';
import type { TopK } from './top-k';

export interface Filter {
  /** Bit per kind index; -1 for all kinds. */
  kinds: number;
  /** Author numbers never returned, or null. */
  excluded: Set<number> | null;
}

export interface Execution {
  plan: QueryPlan;
  store: DocStore;
  filter: Filter;
  top: TopK;
  /** Extra check of a fully matched document (initial consonants: the title's contain the query's). */
  verify: ((slot: number) => boolean) | null;
  /** Whether documents matching only some words are wanted when those matching all are too few. */
  partial: boolean;
}

/**
 * Runs a plan over the segments into the top-k. Documents matching every word rank above the
 * rest, so they are found first by intersection — driven by the query word with the shortest
 * lists, the others probed by galloping cursors — with the driver's blocks and postings skipped
 * when even the best the other terms could add would not reach the top-k. Only when documents
 * matching everything cannot fill the window are the lists read whole, term at a time into
 * accumulators, for the partial matches.
 */
export function execute(run: Execution, segments: readonly Segment[]): void {
  const shape = planShape(run.plan);
  let full = 0;
  // Newest segments first: their documents carry the larger boosts, so the threshold rises sooner.
  for (let i = segments.length - 1; i >= 0; i--) full += matchAll(run, shape, segments[i]!);
  if (run.partial && full < run.top.capacity) {
    for (const segment of segments) matchSome(run, segment);
  }
}

/** What the plan's matches look like, worked out once per query. */
interface Shape {
  /** When every unit has one alternative: the bits a full match has, else null (use `coverage`). */
  required: number | null;
  /** The coverage of a full match with the best alternatives: no full match can have more. */
  bestCoverage: number;
  weights: Float64Array;
}

function planShape(plan: QueryPlan): Shape {
  let required: number | null = 0;
  let best = 0;
  for (const unit of plan.units) {
    if (unit.alternatives.length !== 1) required = null;
    else if (required !== null) required |= unit.alternatives[0]!.bits;
    best += FULL_WORD + Math.max(0, ...unit.alternatives.map((a) => a.quality));
  }
  return { required, bestCoverage: best, weights: Float64Array.from(plan.terms, (t) => t.weight) };
}

/** Coverage of a match mask: FULL_WORD per word matched whole, plus each word's best quality. */
export function coverage(plan: QueryPlan, mask: number): number {
  let whole = 0;
  let quality = 0;
  for (const unit of plan.units) {
    let best = 0;
    let matched = false;
    for (const alt of unit.alternatives) {
      if (alt.size === 0) continue;
      const hit = mask & alt.bits;
      if (hit === alt.bits && alt.bits !== 0 && popcount(alt.bits) === alt.size) {
        matched = true;
        if (alt.quality > best) best = alt.quality;
      } else if (hit !== 0 && !matched) {
        // Partial words score below any whole one: at most half the quality.
        const q = Math.floor((alt.quality * popcount(hit)) / alt.size / 2);
        if (q > best) best = q;
      }
    }
    if (matched) whole++;
    quality += best;
  }
  return whole * FULL_WORD + quality;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

function passes(filter: Filter, store: DocStore, slot: number): boolean {
  if (filter.kinds !== -1 && (filter.kinds & (1 << store.kind[slot]!)) === 0) return false;
  return filter.excluded === null || !filter.excluded.has(store.author[slot]!);
}

/** The first index in [from, to) whose value is ≥ target: exponential then binary search. */
function seek(a: Uint16Array, from: number, to: number, target: number): number {
  if (from >= to || a[from]! >= target) return from;
  let low = from;
  let step = 1;
  let high = from + 1;
  while (high < to && a[high]! < target) {
    low = high;
    step <<= 1;
    high = from + step;
  }
  if (high > to) high = to;
  let lo = low + 1;
  while (lo < high) {
    const mid = (lo + high) >>> 1;
    if (a[mid]! < target) lo = mid + 1;
    else high = mid;
  }
  return lo;
}

/** One segment's lists for one query, and the running state of the intersection. */
class Lists {
  readonly starts: Int32Array;
  readonly ends: Int32Array;
  readonly cursor: Int32Array;
  /** weight × the term's largest saturation in this segment. */
  readonly bound: Float64Array;
  passed = 0;

  constructor(
    readonly run: Execution,
    readonly shape: Shape,
    readonly segment: Segment,
  ) {
    const terms = run.plan.terms;
    const n = terms.length;
    this.starts = new Int32Array(n);
    this.ends = new Int32Array(n);
    this.bound = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      const i = segment.find(terms[t]!.id);
      if (i >= 0) {
        this.starts[t] = segment.offsets[i]!;
        this.ends[t] = segment.offsets[i + 1]!;
        this.bound[t] = shape.weights[t]! * segment.maxSaturation[i]!;
      }
    }
    this.cursor = this.starts.slice();
  }

  length(t: number): number {
    return this.ends[t]! - this.starts[t]!;
  }
}

/** Scores the documents of the segment that match every unit; returns how many passed the filter. */
function matchAll(run: Execution, shape: Shape, segment: Segment): number {
  const lists = new Lists(run, shape, segment);
  const plan = run.plan;
  let present = 0;
  for (let t = 0; t < plan.terms.length; t++) if (lists.length(t) > 0) present |= 1 << t;

  // Drive by the unit whose feasible alternatives have the shortest lists.
  let driver: number[][] | null = null;
  let driverCost = Infinity;
  for (const unit of plan.units) {
    const feasible: number[][] = [];
    let cost = 0;
    for (const alt of unit.alternatives) {
      if (alt.size === 0 || popcount(alt.bits) !== alt.size || (alt.bits & present) !== alt.bits) continue;
      const members = termsOf(alt.bits).sort((a, b) => lists.length(a) - lists.length(b));
      feasible.push(members);
      cost += lists.length(members[0]!);
    }
    if (feasible.length === 0) return 0;
    if (cost < driverCost) {
      driverCost = cost;
      driver = feasible;
    }
  }
  if (driver === null) return 0;
  if (driver.length === 1 && driver[0]!.length === 1 && shape.required !== null) {
    if (plan.terms.length === 1) driveSingle(lists);
    else driveOne(lists, driver[0]![0]!);
  } else {
    driveMany(lists, driver);
  }
  return lists.passed;
}

/** The top-k's worst relevance once nothing with less than the best coverage can enter it, else -1. */
function thresholdOf(top: TopK, bestCoverage: number): number {
  return top.full && top.minCoverage >= bestCoverage ? top.minRelevance : -1;
}

/**
 * One list drives, by decreasing boost. A document scores at most its boost × `reach`, so the
 * walk stops once that falls below the top-k's worst; a block of the list whose best saturation
 * cannot make it is passed over; and the other terms add at most boost × `others` (or × what its
 * most saturated term gives, when less), so a document whose own posting cannot make up the
 * difference is not probed.
 */
function driveOne(lists: Lists, lead: number): void {
  const { run, shape, segment } = lists;
  const { store, top } = run;
  const n = run.plan.terms.length;
  const { docs, boosts, slots, docMax, tfs, bodyNorm, titleNorm } = segment;
  const w = shape.weights[lead]!;
  const best = shape.bestCoverage;
  // What the other terms add at most: Σ weight × their largest saturation, and for one document
  // Σ weight × its own largest (when less).
  let others = 0;
  let otherWeights = 0;
  for (let t = 0; t < n; t++) {
    if (t === lead || lists.bound[t] === 0) continue;
    others += lists.bound[t]!;
    otherWeights += shape.weights[t]!;
  }
  const reach = lists.bound[lead]! + others;
  const allWeights = w + otherWeights;
  const alive = store.alive;
  const blockMax = segment.blockMax;
  const end = lists.ends[lead]!;
  let threshold = thresholdOf(top, best);
  let p = lists.starts[lead]!;
  while (p < end) {
    // A block at a time: none of its documents scores above its first's boost × its best.
    const blockEnd = Math.min((p | (BLOCK - 1)) + 1, end);
    const first = boosts[docs[p]!]!;
    if (first * reach < threshold) break;
    if ((w * blockMax[p >> BLOCK_SHIFT]! + others) * first < threshold) {
      p = blockEnd;
      continue;
    }
    for (; p < blockEnd; p++) {
      const doc = docs[p]!;
      const boost = boosts[doc]!;
      if (boost * reach < threshold) return;
      // No term of the document saturates above its largest: a cheap first test.
      const most = docMax[doc]!;
      if (most * allWeights * boost < threshold) continue;
      // The lead's weighted saturation (saturation(segment, p, doc), inlined); relevances are
      // boost × the sum of these.
      const tf = tfs[p]!;
      let f = (tf & 15) * bodyNorm[doc]!;
      if (tf >= 16) f += TITLE_WEIGHT * (tf >> 4) * titleNorm[doc]!;
      const own = (w * (f * (K1 + 1))) / (f + K1);
      if ((own + Math.min(others, most * otherWeights)) * boost < threshold) continue;
      if (alive[slots[doc]!] === 0) continue;
      probe(lists, doc, 1 << lead, own);
      threshold = thresholdOf(top, best);
    }
  }
}

/**
 * The common single-term query: `driveOne`'s walk with no other term to bound or probe, the
 * relevance known at each posting.
 */
function driveSingle(lists: Lists): void {
  const { run, shape, segment } = lists;
  const { store, top, filter, verify } = run;
  const { docs, boosts, slots, docMax, tfs, bodyNorm, titleNorm, blockMax } = segment;
  const w = shape.weights[0]!;
  const best = shape.bestCoverage;
  const reach = lists.bound[0]!;
  const alive = store.alive;
  const end = lists.ends[0]!;
  let threshold = thresholdOf(top, best);
  let p = lists.starts[0]!;
  while (p < end) {
    const blockEnd = Math.min((p | (BLOCK - 1)) + 1, end);
    const first = boosts[docs[p]!]!;
    if (first * reach < threshold) break;
    if (w * blockMax[p >> BLOCK_SHIFT]! * first < threshold) {
      p = blockEnd;
      continue;
    }
    for (; p < blockEnd; p++) {
      const doc = docs[p]!;
      const boost = boosts[doc]!;
      if (boost * reach < threshold) return;
      if (docMax[doc]! * w * boost < threshold) continue;
      const tf = tfs[p]!;
      let f = (tf & 15) * bodyNorm[doc]!;
      if (tf >= 16) f += TITLE_WEIGHT * (tf >> 4) * titleNorm[doc]!;
      const relevance = ((w * (f * (K1 + 1))) / (f + K1)) * boost;
      if (relevance < threshold) continue;
      const slot = slots[doc]!;
      if (alive[slot] === 0 || !passes(filter, store, slot) || (verify !== null && !verify(slot))) continue;
      lists.passed++;
      top.offer(best, relevance, slot);
      threshold = thresholdOf(top, best);
    }
  }
}

/**
 * Several lists drive: the documents in every list of one of the driver's alternatives (its
 * terms, shortest list first), found by leapfrogging the lead and the others' cursors, the
 * alternatives merged in document order. Lazily, so the walk stops at the first document whose
 * boost × the query's reach falls below the top-k's worst, passes over the lead's blocks whose
 * best saturation cannot make it, and neither seeks nor probes for a document that could not
 * even if its other terms saturated as much as its most saturated one does.
 */
function driveMany(lists: Lists, alternatives: number[][]): void {
  const { run, shape, segment } = lists;
  const top = run.top;
  const { docs, boosts, blockMax, docMax } = segment;
  const { weights } = shape;
  const { bound } = lists;
  const n = weights.length;
  const best = shape.bestCoverage;
  let all = 0;
  let allWeights = 0;
  for (let t = 0; t < n; t++) {
    if (bound[t] === 0) continue;
    all += bound[t]!;
    allWeights += weights[t]!;
  }
  const k = alternatives.length;
  /** Per alternative: the lead's next position, each member's cursor, the next match (DONE: none). */
  const at = Int32Array.from(alternatives, (members) => lists.starts[members[0]!]!);
  const cursors = alternatives.map((members) => Int32Array.from(members, (t) => lists.starts[t]!));
  const heads = new Int32Array(k);
  const sums = new Float64Array(k);

  /** The next document of alternative a's intersection, its weighted saturations in sums[a]. */
  const next = (a: number): number => {
    const members = alternatives[a]!;
    const cursor = cursors[a]!;
    const lead = members[0]!;
    const w = weights[lead]!;
    // Bounds on what the terms but the lead add, and the terms outside the alternative.
    const others = all - bound[lead]!;
    const otherWeights = allWeights - w;
    let rest = all;
    let restWeights = allWeights;
    for (const t of members) {
      rest -= bound[t]!;
      restWeights -= weights[t]!;
    }
    const end = lists.ends[lead]!;
    const threshold = thresholdOf(top, best);
    let p = at[a]!;
    let check = p;
    outer: while (p < end) {
      const doc = docs[p]!;
      const boost = boosts[doc]!;
      if (boost * all < threshold) break;
      if (p === check) {
        check = Math.min((p | (BLOCK - 1)) + 1, end);
        if ((w * blockMax[p >> BLOCK_SHIFT]! + others) * boost < threshold) {
          p = check;
          continue;
        }
      }
      let sum = w * saturation(segment, p, doc);
      const most = docMax[doc]!;
      if ((sum + Math.min(others, most * otherWeights)) * boost < threshold) {
        p++;
        continue;
      }
      for (let m = 1; m < members.length; m++) {
        const t = members[m]!;
        const to = lists.ends[t]!;
        const q = seek(docs, cursor[m]!, to, doc);
        cursor[m] = q;
        if (q >= to) break outer;
        const found = docs[q]!;
        if (found !== doc) {
          // Leapfrog: the lead jumps to the other's document (its block checked on arrival).
          p = seek(docs, p + 1, end, found);
          check = p;
          continue outer;
        }
        sum += weights[t]! * saturation(segment, q, doc);
      }
      if ((sum + Math.min(rest, most * restWeights)) * boost < threshold) {
        p++;
        continue;
      }
      at[a] = p + 1;
      sums[a] = sum;
      return doc;
    }
    at[a] = end;
    return DONE;
  };

  // With one alternative its terms are known at each match: only the others are probed.
  const known = k === 1 ? termBits(alternatives[0]!) : 0;
  for (let a = 0; a < k; a++) heads[a] = next(a);
  for (;;) {
    let doc = DONE;
    for (let a = 0; a < k; a++) if (heads[a]! < doc) doc = heads[a]!;
    if (doc === DONE) return;
    // Documents come by decreasing boost: once the best any could score is out, all are.
    if (boosts[doc]! * all < thresholdOf(top, best)) return;
    probe(lists, doc, known, k === 1 ? sums[0]! : 0);
    for (let a = 0; a < k; a++) if (heads[a] === doc) heads[a] = next(a);
  }
}

const DONE = 0x7fffffff;

function termBits(terms: number[]): number {
  let bits = 0;
  for (const t of terms) bits |= 1 << t;
  return bits;
}

/**
 * Probes the terms not in `known` at the document (their cursors only move forward); offers it
 * when it matches all units. `text`: the known terms' weighted saturations.
 */
function probe(lists: Lists, doc: number, known: number, text: number): void {
  const { run, shape, segment } = lists;
  const { docs, slots, boosts } = segment;
  const { ends, cursor } = lists;
  const weights = shape.weights;
  const n = weights.length;
  let mask = known;
  for (let t = 0; t < n; t++) {
    if ((known & (1 << t)) !== 0) continue;
    const end = ends[t]!;
    let p = cursor[t]!;
    if (p >= end) continue;
    if (docs[p]! < doc) cursor[t] = p = seek(docs, p, end, doc);
    if (p < end && docs[p] === doc) {
      mask |= 1 << t;
      text += weights[t]! * saturation(segment, p, doc);
    }
  }
  let cov: number;
  const required = shape.required;
  if (required !== null) {
    if ((mask & required) !== required) return;
    cov = shape.bestCoverage;
  } else {
    cov = coverage(run.plan, mask);
    if (cov < run.plan.units.length * FULL_WORD) return;
  }
  const slot = slots[doc]!;
  if (run.store.alive[slot] === 0 || !passes(run.filter, run.store, slot)) return;
  if (run.verify !== null && !run.verify(slot)) return;
  lists.passed++;
  run.top.offer(cov, text * boosts[doc]!, slot);
}

function termsOf(bits: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < 32; t++) if ((bits & (1 << t)) !== 0) out.push(t);
  return out;
}

let accumulator = new Float64Array(0);
let masks = new Int32Array(0);
let touched = new Int32Array(0);

/** Term at a time over whole lists: the documents matching only some units. */
function matchSome(run: Execution, segment: Segment): void {
  const { plan, store, filter, top } = run;
  const span = segment.docCount;
  if (accumulator.length < span) {
    accumulator = new Float64Array(span);
    masks = new Int32Array(span);
    touched = new Int32Array(span);
  }
  const { docs, offsets, slots, boosts } = segment;
  let count = 0;
  for (let t = 0; t < plan.terms.length; t++) {
    const term = plan.terms[t]!;
    const i = segment.find(term.id);
    if (i < 0) continue;
    const bit = 1 << t;
    const weight = term.weight;
    for (let p = offsets[i]!, end = offsets[i + 1]!; p < end; p++) {
      const d = docs[p]!;
      if (masks[d] === 0) touched[count++] = d;
      masks[d]! |= bit;
      accumulator[d]! += weight * saturation(segment, p, d);
    }
  }
  const whole = plan.units.length * FULL_WORD;
  const alive = store.alive;
  for (let k = 0; k < count; k++) {
    const d = touched[k]!;
    const slot = slots[d]!;
    const mask = masks[d]!;
    const text = accumulator[d]! * boosts[d]!;
    masks[d] = 0;
    accumulator[d] = 0;
    if (alive[slot] === 0 || !top.wouldTake(whole, text)) continue;
    const cov = coverage(plan, mask);
    // Zero: only bigrams across words matched, no word of the query.
    if (cov === 0 || cov >= whole || !passes(filter, store, slot)) continue;
    top.offer(cov, text, slot);
  }
}
