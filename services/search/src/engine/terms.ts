import { IntMap } from './int-map';
import { copyString } from './text-pool';
import type { TermKey } from './tokenize';

/**
 * Term keys to dense ids, shared by every segment, with each term's posting count over the
 * segments (dead postings included until their segment is merged: idf stays consistent with the
 * lists it weighs).
 */
export class TermDictionary {
  private readonly numbers = new IntMap();
  private readonly words = new Map<string, number>();
  /** The word of each word term (undefined for n-gram terms): the vocabulary for prefixes and typos. */
  readonly wordOf: (string | undefined)[] = [];
  df = new Int32Array(1 << 16);
  /** Called with each new word term, so the vocabulary indexes can follow. */
  onNewWord: ((id: number, word: string) => void) | null = null;

  get size(): number {
    return this.wordOf.length;
  }

  numberId(key: number): number {
    let id = this.numbers.get(key);
    if (id < 0) {
      id = this.add(undefined);
      this.numbers.set(key, id);
    }
    return id;
  }

  wordId(word: string): number {
    let id = this.words.get(word);
    if (id === undefined) {
      // A long word may be a slice of its document's text, which it would keep alive.
      if (word.length > 12) word = copyString(word);
      id = this.add(word);
      this.words.set(word, id);
      this.onNewWord?.(id, word);
    }
    return id;
  }

  /** The id of a known term, or -1. */
  find(key: TermKey): number {
    return typeof key === 'number' ? this.numbers.get(key) : (this.words.get(key) ?? -1);
  }

  dfOf(id: number): number {
    return id < 0 ? 0 : this.df[id]!;
  }

  private add(word: string | undefined): number {
    const id = this.wordOf.length;
    this.wordOf.push(word);
    if (id >= this.df.length) {
      const grown = new Int32Array(this.df.length * 2);
      grown.set(this.df);
      this.df = grown;
    }
    return id;
  }
}
