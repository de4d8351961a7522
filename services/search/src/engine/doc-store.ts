import type { SearchKind } from '@moim/events';
import type { IndexedDocument } from '../port';
import { staticBoost } from './ranking';
import { hashBytes, TextPool } from './text-pool';

export const KINDS: readonly SearchKind[] = ['USER', 'REVIEW', 'PLACE', 'PRODUCT', 'POST', 'COURSE'];
const KIND_INDEX = new Map(KINDS.map((kind, i) => [kind, i]));

export const kindIndex = (kind: SearchKind): number => KIND_INDEX.get(kind) ?? -1;

const EMPTY = -1;

/**
 * Documents by slot, column by column: typed arrays where the ranking loops read them, the texts
 * as bytes in a `TextPool`, and (kind, id) → slot as an open-addressing table of slots keyed by
 * the id's hash (no JS string or Map entry per document). A slot is never reused: an upsert takes
 * a new one and tombstones the old, so posting lists stay sorted by slot without rewriting
 * anything.
 */
export class DocStore {
  size = 0;
  live = 0;
  kind = new Uint8Array(1024);
  alive = new Uint8Array(1024);
  author = new Int32Array(1024);
  /** Milliseconds since the epoch. */
  created = new Float64Array(1024);
  /** popularity + likes, for suggestions and the boost. */
  popularity = new Float64Array(1024);
  /** Field lengths in terms, for BM25's length normalisation. */
  titleLength = new Uint16Array(1024);
  bodyLength = new Uint16Array(1024);
  readonly texts = new TextPool();
  titleLengthSum = 0;
  bodyLengthSum = 0;

  /** Live slots by the hash of (kind, id), linear probing; the hashes kept beside them. */
  private table = new Int32Array(1024).fill(EMPTY);
  private hashes = new Int32Array(1024);
  private entries = 0;
  private readonly authors = new Map<string, number>();

  /** The live slot of the document, or -1. */
  slotOf(kind: SearchKind, id: string): number {
    const k = kindIndex(kind);
    if (k < 0) return -1;
    this.texts.encodeKey(id);
    const key = this.texts.key;
    const h = hashBytes(key.bytes, 0, key.length, k);
    const { table, hashes } = this;
    const mask = table.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const s = table[i]!;
      if (s === EMPTY) return -1;
      if (hashes[i] === h && this.kind[s] === k && this.texts.idIsKey(s)) return s;
    }
  }

  /** The popularity-and-recency multiplier of the ranking. */
  boost(slot: number): number {
    return staticBoost(this.popularity[slot]!, this.created[slot]!);
  }

  id(slot: number): string {
    return this.texts.id(slot);
  }

  title(slot: number): string {
    return this.texts.title(slot);
  }

  body(slot: number): string {
    return this.texts.body(slot);
  }

  /** The author's number, or -1 if no document has that author. */
  authorIndex(authorId: string): number {
    return this.authors.get(authorId) ?? -1;
  }

  /** Adds a document under a new slot (its key must have no live slot). */
  add(doc: IndexedDocument): number {
    const k = kindIndex(doc.kind);
    if (k < 0) throw new RangeError(`unknown search kind ${doc.kind}`);
    const slot = this.size++;
    if (slot >= this.alive.length) this.grow();
    this.kind[slot] = k;
    this.alive[slot] = 1;
    this.live++;
    this.author[slot] = doc.authorId === null ? -1 : this.internAuthor(doc.authorId);
    const created = Date.parse(doc.createdAt);
    this.created[slot] = Number.isFinite(created) ? created : 0;
    this.popularity[slot] = Math.max(0, doc.popularity + doc.likes);
    this.texts.add(slot, doc.id, doc.title, doc.body);
    this.insert(slot, this.texts.idHash(slot, k));
    return slot;
  }

  setLengths(slot: number, title: number, body: number): void {
    this.titleLength[slot] = Math.min(title, 0xffff);
    this.bodyLength[slot] = Math.min(body, 0xffff);
    this.titleLengthSum += title;
    this.bodyLengthSum += body;
  }

  /** Tombstones a slot; its texts are let go (postings pointing to it are skipped until merged away). */
  kill(slot: number): void {
    if (this.alive[slot] === 0) return;
    this.alive[slot] = 0;
    this.live--;
    this.titleLengthSum -= this.titleLength[slot]!;
    this.bodyLengthSum -= this.bodyLength[slot]!;
    this.delete(slot, this.texts.idHash(slot, this.kind[slot]!));
    this.texts.kill(slot);
  }

  private insert(slot: number, h: number): void {
    if ((this.entries + 1) * 10 > this.table.length * 7) this.rehash(this.table.length * 2);
    const { table, hashes } = this;
    const mask = table.length - 1;
    let i = h & mask;
    while (table[i] !== EMPTY) i = (i + 1) & mask;
    table[i] = slot;
    hashes[i] = h;
    this.entries++;
  }

  /** Removes the slot's entry, shifting back the entries after it that probed past it. */
  private delete(slot: number, h: number): void {
    const { table, hashes } = this;
    const mask = table.length - 1;
    let i = h & mask;
    while (table[i] !== slot) {
      if (table[i] === EMPTY) return;
      i = (i + 1) & mask;
    }
    for (let j = (i + 1) & mask; table[j] !== EMPTY; j = (j + 1) & mask) {
      const home = hashes[j]! & mask;
      // The entry at j may move to the hole at i unless its home lies in (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        table[i] = table[j]!;
        hashes[i] = hashes[j]!;
        i = j;
      }
    }
    table[i] = EMPTY;
    this.entries--;
  }

  private rehash(capacity: number): void {
    const { table, hashes } = this;
    this.table = new Int32Array(capacity).fill(EMPTY);
    this.hashes = new Int32Array(capacity);
    this.entries = 0;
    for (let i = 0; i < table.length; i++) if (table[i] !== EMPTY) this.insert(table[i]!, hashes[i]!);
  }

  private internAuthor(authorId: string): number {
    let n = this.authors.get(authorId);
    if (n === undefined) {
      n = this.authors.size;
      this.authors.set(authorId, n);
    }
    return n;
  }

  /** Columns grow by half (not double): at half a million documents that is tens of MB not held idle. */
  private grow(): void {
    const n = Math.ceil(this.alive.length * 1.5);
    const grown = <T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.kind = grown(this.kind);
    this.alive = grown(this.alive);
    this.author = grown(this.author);
    this.created = grown(this.created);
    this.popularity = grown(this.popularity);
    this.titleLength = grown(this.titleLength);
    this.bodyLength = grown(this.bodyLength);
  }
}
