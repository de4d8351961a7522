import type { DocStore } from './doc-store';
import type { QueryPlan } from './query';
import { FULL_WORD } from './ranking';
import type { Segment } from './segment';
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
function seek(a: Int32Array, from: number, to: number, target: number): number {
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
    driveOne(lists, driver[0]![0]!);
  } else {
    const { boosts } = segment;
    let all = 0;
    for (let t = 0; t < plan.terms.length; t++) all += lists.bound[t]!;
    const top = run.top;
    for (const doc of candidates(driver, segment.docs, lists.starts, lists.ends)) {
      // Documents come by decreasing boost: once the best any could score is out, all are.
      if (top.full && top.minCoverage >= shape.bestCoverage && boosts[doc]! * all < top.minRelevance) break;
      probe(lists, doc, -1, 0);
    }
  }
  return lists.passed;
}

/**
 * One list drives, by decreasing boost. A document scores at most its boost × `reach`, so the
 * walk stops once that falls below the top-k's worst; and the other terms add at most boost ×
 * `others`, so a document whose own posting cannot make up the difference is not probed.
 */
function driveOne(lists: Lists, lead: number): void {
  const { run, shape, segment } = lists;
  const { store, top, filter, verify } = run;
  const n = run.plan.terms.length;
  const { docs, impacts, boosts, slots } = segment;
  const w = shape.weights[lead]!;
  const best = shape.bestCoverage;
  let others = 0;
  for (let t = 0; t < n; t++) if (t !== lead) others += lists.bound[t]!;
  const reach = lists.bound[lead]! + others;
  const alive = store.alive;
  const end = lists.ends[lead]!;
  let threshold = top.full && top.minCoverage >= best ? top.minRelevance : -1;
  for (let p = lists.starts[lead]!; p < end; p++) {
    const doc = docs[p]!;
    const boost = boosts[doc]!;
    if (boost * reach < threshold) break;
    const own = w * impacts[p]!;
    if (own + boost * others < threshold) continue;
    const slot = slots[doc]!;
    if (alive[slot] === 0) continue;
    if (n === 1) {
      // The common single-term query: nothing to probe.
      if (!passes(filter, store, slot) || (verify !== null && !verify(slot))) continue;
      lists.passed++;
      top.offer(best, own, slot);
    } else {
      probe(lists, doc, lead, own);
    }
    if (top.full && top.minCoverage >= best) threshold = top.minRelevance;
  }
}

/** Probes the other terms at the document (their cursors only move forward); offers it when it matches all units. */
function probe(lists: Lists, doc: number, skip: number, text: number): void {
  const { run, shape } = lists;
  const { docs, impacts, slots } = lists.segment;
  const { ends, cursor } = lists;
  const weights = shape.weights;
  const n = weights.length;
  let mask = skip >= 0 ? 1 << skip : 0;
  for (let t = 0; t < n; t++) {
    if (t === skip) continue;
    const end = ends[t]!;
    let p = cursor[t]!;
    if (p >= end) continue;
    if (docs[p]! < doc) cursor[t] = p = seek(docs, p, end, doc);
    if (p < end && docs[p] === doc) {
      mask |= 1 << t;
      text += weights[t]! * impacts[p]!;
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
  run.top.offer(cov, text, slot);
}

function termsOf(bits: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < 32; t++) if ((bits & (1 << t)) !== 0) out.push(t);
  return out;
}

/** The slots in every list of one alternative (shortest first), or of any alternative, ascending. */
function candidates(
  alternatives: number[][],
  docs: Int32Array,
  starts: Int32Array,
  ends: Int32Array,
): Int32Array {
  const parts = alternatives.map((members) => {
    const lead = members[0]!;
    const out: number[] = [];
    const cursor = members.map((t) => starts[t]!);
    outer: for (let p = starts[lead]!; p < ends[lead]!; p++) {
      const slot = docs[p]!;
      for (let m = 1; m < members.length; m++) {
        const t = members[m]!;
        const q = seek(docs, cursor[m]!, ends[t]!, slot);
        cursor[m] = q;
        if (q >= ends[t]! || docs[q] !== slot) continue outer;
      }
      out.push(slot);
    }
    return out;
  });
  if (parts.length === 1) return Int32Array.from(parts[0]!);
  const all = Int32Array.from(parts.flat()).sort();
  let k = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[k++] = all[i]!;
  return all.subarray(0, k);
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
  const { docs, impacts, offsets, slots } = segment;
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
      accumulator[d]! += weight * impacts[p]!;
    }
  }
  const whole = plan.units.length * FULL_WORD;
  const alive = store.alive;
  for (let k = 0; k < count; k++) {
    const d = touched[k]!;
    const slot = slots[d]!;
    const mask = masks[d]!;
    const text = accumulator[d]!;
    masks[d] = 0;
    accumulator[d] = 0;
    if (alive[slot] === 0 || !top.wouldTake(whole, text)) continue;
    const cov = coverage(plan, mask);
    // Zero: only bigrams across words matched, no word of the query.
    if (cov === 0 || cov >= whole || !passes(filter, store, slot)) continue;
    top.offer(cov, text, slot);
  }
}
