import { choseongIndex, consonantIndex } from '../normalize';
import { isPlain, tokenize, type TermKey, type TokenSink } from './tokenize';

/** Bodies longer than this are cut to a window around the best match. */
const LONG = 120;
const WINDOW = 100;

const NOT_WORD = /[^\p{L}\p{N}\p{M}]/gu;

/** One code point normalised as `normalize` would, with anything that is not a letter or digit a space. */
function normalizeChar(ch: string, code: number): string {
  if (code < 0x80) {
    if (code >= 0x41 && code <= 0x5a) return String.fromCharCode(code + 32);
    return (code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x7a) ? ch : ' ';
  }
  if ((code >= 0xac00 && code <= 0xd7a3) || (code >= 0x3131 && code <= 0x318e)) return ch;
  return ch.normalize('NFKC').toLowerCase().replace(NOT_WORD, ' ');
}

/**
 * The sink that marks matched tokens: one instance reused (no closures made per call). Positions
 * are the normalised text's; `from`/`to` map them back to the original's (null: the same).
 */
class Marker implements TokenSink {
  marks = new Uint8Array(0);
  keys: ReadonlySet<TermKey> = new Set();
  text = '';
  from: number[] | null = null;
  to: number[] | null = null;

  bigram(key: number, a: number, b: number): void {
    if (this.keys.has(key)) this.mark(a, b);
  }

  wordStart(key: number, at: number): void {
    if (this.keys.has(key)) this.mark(at, at);
  }

  word(a: number, b: number): void {
    // The plain text's words are lower-cased as the indexer does; the normalised text's already are.
    const word = this.text.slice(a, b);
    if (this.keys.has(this.from === null ? word.toLowerCase() : word)) this.mark(a, b - 1);
  }

  /** Marks the original characters of normalised positions a to b, both included. */
  private mark(a: number, b: number): void {
    if (this.from === null) this.marks.fill(1, a, b + 1);
    else this.marks.fill(1, this.from[a]!, this.to![b]!);
  }
}

const marker = new Marker();

/**
 * Marks the characters of `text` that matched: the text is normalised character by character
 * (keeping where each came from), tokenised as for indexing, and the tokens whose keys the query
 * looked for are marked back on the original.
 */
export function markMatches(text: string, keys: ReadonlySet<TermKey>): Uint8Array {
  const marks = new Uint8Array(text.length);
  marker.marks = marks;
  marker.keys = keys;
  if (isPlain(text)) {
    // ASCII and Hangul syllables only: tokenised in place, positions are the text's own.
    marker.text = text;
    marker.from = marker.to = null;
    tokenize(text, marker);
  } else {
    let normalized = '';
    const from: number[] = [];
    const to: number[] = [];
    for (let i = 0; i < text.length;) {
      const code = text.codePointAt(i)!;
      const width = code > 0xffff ? 2 : 1;
      const piece = normalizeChar(text.slice(i, i + width), code);
      for (let k = 0; k < piece.length; k++) {
        from.push(i);
        to.push(i + width);
      }
      normalized += piece;
      i += width;
    }
    marker.text = normalized;
    marker.from = from;
    marker.to = to;
    tokenize(normalized, marker);
  }
  marker.marks = new Uint8Array(0);
  marker.text = '';
  marker.from = marker.to = null;
  return marks;
}

/** Marks the syllables of a title whose initial consonants spell the query's (first occurrence). */
export function markChoseong(text: string, consonants: string): Uint8Array {
  const marks = new Uint8Array(text.length);
  // Consonants spelled as letters A–S (their index), the query's likewise.
  const positions: number[] = [];
  let spelled = '';
  for (let i = 0; i < text.length; i++) {
    const c = choseongIndex(text.charCodeAt(i));
    if (c < 0) continue;
    positions.push(i);
    spelled += String.fromCharCode(0x41 + c);
  }
  const wanted = [...consonants].map((c) => String.fromCharCode(0x41 + consonantIndex(c))).join('');
  const at = spelled.indexOf(wanted);
  if (at >= 0) for (let k = at; k < at + wanted.length; k++) marks[positions[k]!] = 1;
  return marks;
}

const ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' };
const escape = (s: string) => s.replace(/[<>&"]/g, (c) => ESCAPES[c]!);

/** The text (or a window of it when long) with marked runs in `<em>`, the rest escaped. */
export function snippet(text: string, marks: Uint8Array, windowed: boolean): string {
  let start = 0;
  let end = text.length;
  if (windowed && text.length > LONG) {
    start = bestWindow(marks);
    // Never cut a surrogate pair.
    if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start--;
    end = Math.min(text.length, start + WINDOW);
    if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end++;
  }
  let out = start > 0 ? '…' : '';
  let i = start;
  while (i < end) {
    let j = i;
    while (j < end && marks[j] === marks[i]) j++;
    out += marks[i] === 1 ? `<em>${escape(text.slice(i, j))}</em>` : escape(text.slice(i, j));
    i = j;
  }
  return end < text.length ? `${out}…` : out;
}

/** The start of the window holding the most marked characters, a little before the first of them. */
function bestWindow(marks: Uint8Array): number {
  const n = marks.length;
  let inWindow = 0;
  for (let i = 0; i < Math.min(WINDOW, n); i++) inWindow += marks[i]!;
  let best = inWindow;
  let bestStart = 0;
  for (let s = 1; s + WINDOW <= n; s++) {
    inWindow += marks[s + WINDOW - 1]! - marks[s - 1]!;
    if (inWindow > best) {
      best = inWindow;
      bestStart = s;
    }
  }
  if (best === 0) return 0;
  // Lead in with some context before the first match of the window.
  let first = bestStart;
  while (marks[first] === 0) first++;
  return Math.max(0, Math.min(first - 20, n - WINDOW));
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;
