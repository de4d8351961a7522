/**
 * The documents' texts — id, title and body — as bytes in chunks of 1 MiB rather than as JS
 * strings: no object header or pointer per string, Hangul in two bytes, and no hidden parent kept
 * alive (a string sliced from a longer one, as `split` and `readline` make them, holds the whole
 * of its parent). Strings are decoded only for what a search returns.
 *
 * The encoding keeps the order of UTF-16 code units, so ids compare as bytes: 0x00–0x7f as one
 * byte; Hangul syllables as two (lead 0x81–0xac); other code units below them as 0x80 + two bytes,
 * above them as 0xff + two bytes.
 *
 * A record is three varint lengths (id, title, body) and the three texts. A tombstoned slot's
 * record is dead space in its chunk; a chunk half dead is rewritten at the tail and reused.
 */
const CHUNK_BITS = 20;
const CHUNK = 1 << CHUNK_BITS;
/** Chunks addressable by a Uint32 position. */
const MAX_CHUNKS = 2 ** (32 - CHUNK_BITS) - 1;
const NONE = 0xffffffff;

const HANGUL_FIRST = 0xac00;
const HANGUL_LAST = 0xd7a3;

/** Bytes the text takes encoded. */
export function encodedLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    n += c < 0x80 ? 1 : c >= HANGUL_FIRST && c <= HANGUL_LAST ? 2 : 3;
  }
  return n;
}

/** Writes the text at `at`; returns the position after it. */
export function encodeInto(text: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      out[at++] = c;
    } else if (c >= HANGUL_FIRST && c <= HANGUL_LAST) {
      const s = c - HANGUL_FIRST;
      out[at++] = 0x81 + (s >> 8);
      out[at++] = s & 0xff;
    } else {
      out[at++] = c < HANGUL_FIRST ? 0x80 : 0xff;
      out[at++] = c >> 8;
      out[at++] = c & 0xff;
    }
  }
  return at;
}

let units = new Uint16Array(256);

/** The text encoded in `bytes[from, to)`. */
export function decode(bytes: Uint8Array, from: number, to: number): string {
  if (units.length < to - from) units = new Uint16Array(Math.max(to - from, units.length * 2));
  let n = 0;
  for (let i = from; i < to;) {
    const b = bytes[i]!;
    if (b < 0x80) {
      units[n++] = b;
      i++;
    } else if (b === 0x80 || b === 0xff) {
      units[n++] = (bytes[i + 1]! << 8) | bytes[i + 2]!;
      i += 3;
    } else {
      units[n++] = HANGUL_FIRST + (((b - 0x81) << 8) | bytes[i + 1]!);
      i += 2;
    }
  }
  let out = '';
  if (n <= 16) {
    // Short (ids): appending is cheaper than a call through apply.
    for (let k = 0; k < n; k++) out += String.fromCharCode(units[k]!);
    return out;
  }
  for (let k = 0; k < n; k += 4096) {
    out += String.fromCharCode.apply(null, units.subarray(k, Math.min(n, k + 4096)) as unknown as number[]);
  }
  return out;
}

/** A flat copy of a string that may be a slice of a longer one (which it would keep alive). */
export function copyString(text: string): string {
  const bytes = new Uint8Array(encodedLength(text));
  encodeInto(text, bytes, 0);
  return decode(bytes, 0, bytes.length);
}

const varintLength = (n: number): number =>
  n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;

function writeVarint(out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 0x80);
  }
  out[at++] = n;
  return at;
}

/** FNV-1a over bytes, finished with a multiply-xorshift so the low bits spread. */
export function hashBytes(bytes: Uint8Array, from: number, to: number, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = from; i < to; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  return h ^ (h >>> 16);
}

/** The texts of every slot, as described above. */
export class TextPool {
  /** Slot → position of its record (chunk × 2^20 + offset), or NONE once tombstoned. */
  private at = new Uint32Array(1024).fill(NONE);
  private chunks: (Uint8Array | null)[] = [];
  /** Bytes written and bytes dead, per chunk. */
  private used: number[] = [];
  private dead: number[] = [];
  private readonly free: number[] = [];
  private tail = -1;
  private slots = 0;

  /** Where the last `locate` found the record: its chunk and the offsets of its three texts. */
  private bytes: Uint8Array = new Uint8Array(0);
  private idFrom = 0;
  private titleFrom = 0;
  private bodyFrom = 0;
  private end = 0;

  /** The encoded key of the last `encodeKey`. */
  readonly key = { bytes: new Uint8Array(64), length: 0 };

  /** Stores the slot's texts (slots are added in increasing order, never twice). */
  add(slot: number, id: string, title: string, body: string): void {
    if (slot >= this.at.length) {
      const grown = new Uint32Array(Math.max(slot + 1, Math.ceil(this.at.length * 1.5))).fill(NONE);
      grown.set(this.at);
      this.at = grown;
    }
    this.slots = Math.max(this.slots, slot + 1);
    const idLength = encodedLength(id);
    const titleLength = encodedLength(title);
    const bodyLength = encodedLength(body);
    const size =
      varintLength(idLength) +
      varintLength(titleLength) +
      varintLength(bodyLength) +
      idLength +
      titleLength +
      bodyLength;
    const c = this.reserve(size);
    const out = this.chunks[c]!;
    const from = this.used[c]!;
    let p = writeVarint(out, from, idLength);
    p = writeVarint(out, p, titleLength);
    p = writeVarint(out, p, bodyLength);
    p = encodeInto(id, out, p);
    p = encodeInto(title, out, p);
    encodeInto(body, out, p);
    this.used[c] = from + size;
    this.at[slot] = c * CHUNK + from;
  }

  /** Lets the slot's texts go; rewrites its chunk when half of it is dead. */
  kill(slot: number): void {
    const pos = this.at[slot]!;
    if (pos === NONE) return;
    this.locate(slot);
    const c = Math.floor(pos / CHUNK);
    this.dead[c]! += this.end - (pos - c * CHUNK);
    this.at[slot] = NONE;
    if (c !== this.tail && this.dead[c]! * 2 >= this.used[c]!) this.compact(c);
  }

  id(slot: number): string {
    this.locate(slot);
    return decode(this.bytes, this.idFrom, this.titleFrom);
  }

  title(slot: number): string {
    this.locate(slot);
    return decode(this.bytes, this.titleFrom, this.bodyFrom);
  }

  body(slot: number): string {
    this.locate(slot);
    return decode(this.bytes, this.bodyFrom, this.end);
  }

  /** Encodes a key (an id looked up) into `key`. */
  encodeKey(id: string): void {
    const n = encodedLength(id);
    if (this.key.bytes.length < n) this.key.bytes = new Uint8Array(n * 2);
    encodeInto(id, this.key.bytes, 0);
    this.key.length = n;
  }

  /** Whether the slot's id is the last encoded key. */
  idIsKey(slot: number): boolean {
    this.locate(slot);
    const { bytes, idFrom } = this;
    const n = this.key.length;
    if (this.titleFrom - idFrom !== n) return false;
    const key = this.key.bytes;
    for (let i = 0; i < n; i++) if (bytes[idFrom + i] !== key[i]) return false;
    return true;
  }

  /** The hash of the slot's id, as `hashBytes` of its encoded key with the same seed. */
  idHash(slot: number, seed: number): number {
    this.locate(slot);
    return hashBytes(this.bytes, this.idFrom, this.titleFrom, seed);
  }

  /** The ids of two slots compared as strings are (negative when a's sorts first). */
  compareIds(a: number, b: number): number {
    this.locate(a);
    const ab = this.bytes;
    let i = this.idFrom;
    const aEnd = this.titleFrom;
    this.locate(b);
    const bb = this.bytes;
    let j = this.idFrom;
    const bEnd = this.titleFrom;
    for (; i < aEnd && j < bEnd; i++, j++) {
      const d = ab[i]! - bb[j]!;
      if (d !== 0) return d;
    }
    return aEnd - i - (bEnd - j);
  }

  /** Bytes held by the chunks (live and dead). */
  get size(): number {
    let n = 0;
    for (const chunk of this.chunks) n += chunk?.length ?? 0;
    return n;
  }

  private locate(slot: number): void {
    const pos = this.at[slot]!;
    if (pos === NONE) throw new RangeError(`slot ${slot} has no text`);
    const c = Math.floor(pos / CHUNK);
    const bytes = this.chunks[c]!;
    let p = pos - c * CHUNK;
    // Three varints.
    let idLength = 0;
    let titleLength = 0;
    let bodyLength = 0;
    for (let k = 0; k < 3; k++) {
      let n = 0;
      let scale = 1;
      for (;;) {
        const b = bytes[p++]!;
        n += (b & 0x7f) * scale;
        if (b < 0x80) break;
        scale *= 0x80;
      }
      if (k === 0) idLength = n;
      else if (k === 1) titleLength = n;
      else bodyLength = n;
    }
    this.bytes = bytes;
    this.idFrom = p;
    this.titleFrom = p + idLength;
    this.bodyFrom = this.titleFrom + titleLength;
    this.end = this.bodyFrom + bodyLength;
  }

  /** A chunk with `size` bytes free at its end: the tail, or a new (or reused) one. */
  private reserve(size: number): number {
    // Offsets stay below CHUNK (a chunk grown for one long text takes nothing after it).
    if (this.tail >= 0 && this.used[this.tail]! + size <= CHUNK) return this.tail;
    let c = this.free.pop();
    if (c === undefined) {
      c = this.chunks.length;
      if (c >= MAX_CHUNKS) throw new RangeError('the search index holds more text than it can address');
      this.chunks.push(null);
      this.used.push(0);
      this.dead.push(0);
    }
    // A text longer than a chunk gets a chunk of its own size.
    this.chunks[c] = new Uint8Array(Math.max(CHUNK, size));
    this.used[c] = 0;
    this.dead[c] = 0;
    this.tail = c;
    return c;
  }

  /** Moves the live records of chunk c to the tail and frees it. */
  private compact(c: number): void {
    const from = c * CHUNK;
    const to = from + CHUNK;
    const at = this.at;
    const bytes = this.chunks[c]!;
    for (let s = 0; s < this.slots; s++) {
      const pos = at[s]!;
      if (pos < from || pos >= to) continue;
      this.locate(s);
      const start = pos - from;
      const size = this.end - start;
      const t = this.reserve(size);
      const out = this.chunks[t]!;
      out.set(bytes.subarray(start, this.end), this.used[t]!);
      at[s] = t * CHUNK + this.used[t]!;
      this.used[t]! += size;
    }
    this.chunks[c] = null;
    this.used[c] = 0;
    this.dead[c] = 0;
    this.free.push(c);
  }
}
