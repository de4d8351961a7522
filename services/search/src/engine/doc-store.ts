import type { SearchKind } from '@moim/events';
import type { IndexedDocument } from '../port';
import { staticBoost } from './ranking';

export const KINDS: readonly SearchKind[] = ['USER', 'REVIEW', 'PLACE', 'PRODUCT', 'POST', 'COURSE'];
const KIND_INDEX = new Map(KINDS.map((kind, i) => [kind, i]));

export const kindIndex = (kind: SearchKind): number => KIND_INDEX.get(kind) ?? -1;

/**
 * Documents by slot, column by column (typed arrays where the ranking loops read them). A slot is
 * never reused: an upsert takes a new one and tombstones the old, so posting lists stay sorted by
 * slot without rewriting anything.
 */
export class DocStore {
  size = 0;
  live = 0;
  kind = new Uint8Array(1024);
  alive = new Uint8Array(1024);
  author = new Int32Array(1024);
  /** Milliseconds since the epoch. */
  created = new Float64Array(1024);
  /** The popularity-and-recency multiplier of the ranking. */
  boost = new Float64Array(1024);
  /** popularity + likes, for suggestions. */
  popularity = new Float64Array(1024);
  /** Field lengths in terms, for BM25's length normalisation. */
  titleLength = new Uint16Array(1024);
  bodyLength = new Uint16Array(1024);
  readonly ids: string[] = [];
  readonly titles: string[] = [];
  readonly bodies: string[] = [];
  titleLengthSum = 0;
  bodyLengthSum = 0;

  private readonly slots = KINDS.map(() => new Map<string, number>());
  private readonly authors = new Map<string, number>();

  slotOf(kind: SearchKind, id: string): number {
    return this.slots[kindIndex(kind)]?.get(id) ?? -1;
  }

  /** The author's number, or -1 if no document has that author. */
  authorIndex(authorId: string): number {
    return this.authors.get(authorId) ?? -1;
  }

  add(doc: IndexedDocument): number {
    const slot = this.size++;
    if (slot >= this.alive.length) this.grow();
    const k = kindIndex(doc.kind);
    if (k < 0) throw new RangeError(`unknown search kind ${doc.kind}`);
    this.kind[slot] = k;
    this.alive[slot] = 1;
    this.live++;
    this.author[slot] = doc.authorId === null ? -1 : this.internAuthor(doc.authorId);
    const created = Date.parse(doc.createdAt);
    this.created[slot] = Number.isFinite(created) ? created : 0;
    this.popularity[slot] = Math.max(0, doc.popularity + doc.likes);
    this.boost[slot] = staticBoost(this.popularity[slot]!, this.created[slot]!);
    this.ids.push(doc.id);
    this.titles.push(doc.title);
    this.bodies.push(doc.body);
    this.slots[k]!.set(doc.id, slot);
    return slot;
  }

  setLengths(slot: number, title: number, body: number): void {
    this.titleLength[slot] = Math.min(title, 0xffff);
    this.bodyLength[slot] = Math.min(body, 0xffff);
    this.titleLengthSum += title;
    this.bodyLengthSum += body;
  }

  /** Tombstones a slot; its text is let go (postings pointing to it are skipped until merged away). */
  kill(slot: number): void {
    if (this.alive[slot] === 0) return;
    this.alive[slot] = 0;
    this.live--;
    this.titleLengthSum -= this.titleLength[slot]!;
    this.bodyLengthSum -= this.bodyLength[slot]!;
    const byId = this.slots[this.kind[slot]!]!;
    if (byId.get(this.ids[slot]!) === slot) byId.delete(this.ids[slot]!);
    this.titles[slot] = '';
    this.bodies[slot] = '';
  }

  private internAuthor(authorId: string): number {
    let n = this.authors.get(authorId);
    if (n === undefined) {
      n = this.authors.size;
      this.authors.set(authorId, n);
    }
    return n;
  }

  private grow(): void {
    const n = this.alive.length * 2;
    const grown = <T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.kind = grown(this.kind);
    this.alive = grown(this.alive);
    this.author = grown(this.author);
    this.created = grown(this.created);
    this.boost = grown(this.boost);
    this.popularity = grown(this.popularity);
    this.titleLength = grown(this.titleLength);
    this.bodyLength = grown(this.bodyLength);
  }
}
