import type { TermDictionary } from './terms';

const TYPO_WORD = /^\p{Script=Latin}{4,}$/u;
/** Edit distance allowed for a word of this length: 1 for 4–7 letters, 2 from 8. */
export const typoDistance = (length: number): number => (length >= 8 ? 2 : length >= 4 ? 1 : 0);

/**
 * The word vocabulary, for prefix expansion (a sorted array, new words in a small unsorted tail
 * merged in from time to time) and typo tolerance (SymSpell: every word is stored under the
 * strings its deletions make, so a query word's own deletions find the words within reach by
 * lookups, not by a scan).
 */
export class Vocabulary {
  private sorted: string[] = [];
  private sortedIds: number[] = [];
  private pending: number[] = [];
  private readonly deletions = new Map<string, number | number[]>();

  constructor(private readonly dictionary: TermDictionary) {}

  added(id: number, word: string): void {
    this.pending.push(id);
    if (TYPO_WORD.test(word)) this.addDeletions(id, word);
  }

  /** Word terms starting with `prefix` (not the prefix itself), most postings first, at most `limit`. */
  withPrefix(prefix: string, limit: number): number[] {
    this.settleIfLarge();
    const found: number[] = [];
    let i = lowerBound(this.sorted, prefix);
    for (; i < this.sorted.length && this.sorted[i]!.startsWith(prefix); i++) {
      if (this.sorted[i] !== prefix) found.push(this.sortedIds[i]!);
    }
    const words = this.dictionary.wordOf;
    for (const id of this.pending) {
      const w = words[id]!;
      if (w !== prefix && w.startsWith(prefix)) found.push(id);
    }
    const df = this.dictionary.df;
    return found
      .filter((id) => df[id]! > 0)
      .sort((a, b) => df[b]! - df[a]!)
      .slice(0, limit);
  }

  /** Words within the allowed edit distance of `word` (not itself): closest, then most postings first. */
  typos(word: string, limit: number): { id: number; distance: number }[] {
    const max = typoDistance(word.length);
    if (max === 0 || !TYPO_WORD.test(word)) return [];
    const deletions = this.deletions;
    const seen = new Set<number>();
    const found: { id: number; distance: number }[] = [];
    const df = this.dictionary.df;
    for (const variant of deletionsOf(word, max)) {
      const hit = deletions.get(variant);
      if (hit === undefined) continue;
      for (const id of typeof hit === 'number' ? [hit] : hit) {
        if (seen.has(id)) continue;
        seen.add(id);
        const candidate = this.dictionary.wordOf[id]!;
        if (candidate === word || df[id]! === 0) continue;
        const distance = editDistance(word, candidate, max);
        if (distance <= max) found.push({ id, distance });
      }
    }
    return found.sort((a, b) => a.distance - b.distance || df[b.id]! - df[a.id]!).slice(0, limit);
  }

  private addDeletions(id: number, word: string): void {
    const table = this.deletions;
    for (const variant of deletionsOf(word, typoDistance(word.length))) {
      const hit = table.get(variant);
      if (hit === undefined) table.set(variant, id);
      else if (typeof hit === 'number') table.set(variant, [hit, id]);
      else hit.push(id);
    }
  }

  settleIfLarge(): void {
    if (this.pending.length > PENDING_MAX) this.settle();
  }

  /** Merges the unsorted tail into the sorted words. */
  private settle(): void {
    if (this.pending.length === 0) return;
    const words = this.dictionary.wordOf;
    const tail = this.pending.map((id) => ({ id, word: words[id]! })).sort((a, b) => compare(a.word, b.word));
    const sorted: string[] = [];
    const ids: number[] = [];
    let i = 0;
    let j = 0;
    while (i < this.sorted.length || j < tail.length) {
      if (j >= tail.length || (i < this.sorted.length && this.sorted[i]! < tail[j]!.word)) {
        sorted.push(this.sorted[i]!);
        ids.push(this.sortedIds[i++]!);
      } else {
        sorted.push(tail[j]!.word);
        ids.push(tail[j++]!.id);
      }
    }
    this.sorted = sorted;
    this.sortedIds = ids;
    this.pending = [];
  }
}

/** New words scanned one by one before they are merged into the sorted array. */
const PENDING_MAX = 2048;

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function lowerBound(sorted: string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The word and every string made by deleting up to `depth` of its characters. */
export function deletionsOf(word: string, depth: number): Set<string> {
  const out = new Set<string>([word]);
  let frontier = [word];
  for (let d = 0; d < depth; d++) {
    const next: string[] = [];
    for (const w of frontier) {
      for (let i = 0; i < w.length; i++) {
        const v = w.slice(0, i) + w.slice(i + 1);
        if (!out.has(v)) {
          out.add(v);
          next.push(v);
        }
      }
    }
    frontier = next;
  }
  return out;
}

/** Optimal string alignment distance (adjacent swaps count one), or max + 1 once it exceeds max. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = b.length;
  let before = new Array<number>(n + 1).fill(0);
  let previous = Array.from({ length: n + 1 }, (_, j) => j);
  let current = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, before[j - 2]! + 1);
      current[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  return previous[n]!;
}
