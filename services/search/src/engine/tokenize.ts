import { choseongIndex } from '../normalize';

/**
 * Tokenisation of normalised text into term keys. Korean is written with unreliable spaces, so a
 * run of Hangul words is read as one spaceless string and cut into syllable bigrams (`정말 맛있어요`
 * → 정말 말맛 맛있 있어 어요): spaced and spaceless writings share their bigrams, and a word's first
 * syllables find it. Other letters and digits form whole words.
 *
 * The n-gram keys are small integers (fast Map keys, no string built per bigram); words are
 * strings. The families never collide.
 */
export const SYLLABLES = 11172;
const SYLLABLE_FIRST = 0xac00;
const SYLLABLE_LAST = 0xd7a3;
/** `a·b` → a × 11172 + b, for syllable offsets a and b. */
export const START_BASE = SYLLABLES * SYLLABLES;
/** The first syllable of a word (what a one-syllable query looks for). */
export const CHOSEONG_BIGRAM_BASE = START_BASE + SYLLABLES;
/** Initial consonants of titles: bigrams over the spaceless string, and each word's first. */
export const CHOSEONG_START_BASE = CHOSEONG_BIGRAM_BASE + 19 * 19;

export type TermKey = number | string;

export interface TokenSink {
  /** Two syllables, the first at `from`, the second at `to` (spaces may lie between). */
  bigram(key: number, from: number, to: number): void;
  /** A word's first syllable (also a Hangul run's first after another script). */
  wordStart(key: number, at: number): void;
  /** A word of other letters or digits: `text.slice(from, to)`. */
  word(from: number, to: number): void;
}

/** Anything but ASCII and Hangul syllables (surrogates included). */
const NOT_PLAIN = /[\u0080-\uabff\ud7a4-\uffff]/;

/**
 * Whether the text is ASCII and Hangul syllables only: then it tokenises as its normalised form
 * would (the tokenizer separates at ASCII punctuation; words are lower-cased by the sink), so most
 * text skips `normalize`, and highlighting can use the text's own positions.
 */
export const isPlain = (text: string): boolean => !NOT_PLAIN.test(text);

/** Whether an ASCII code is a letter or digit. */
const ASCII_WORD = new Uint8Array(128).map((_, c) => (/[0-9a-z]/i.test(String.fromCharCode(c)) ? 1 : 0));

/**
 * ASCII other than letters and digits separates (normalised text has only spaces; raw text of
 * ASCII and Hangul syllables alone can so be tokenised without normalising it first, its words
 * lower-cased by the sink); anything else that is not a Hangul syllable is a word character.
 */
export function tokenize(text: string, sink: TokenSink): void {
  let prev = -1;
  let prevAt = -1;
  let wordFrom = -1;
  let afterSpace = true;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    if (code >= SYLLABLE_FIRST && code <= SYLLABLE_LAST) {
      if (wordFrom >= 0) {
        sink.word(wordFrom, i);
        wordFrom = -1;
      }
      const s = code - SYLLABLE_FIRST;
      if (afterSpace || prev < 0) sink.wordStart(START_BASE + s, i);
      if (prev >= 0) sink.bigram(prev * SYLLABLES + s, prevAt, i);
      prev = s;
      prevAt = i;
      afterSpace = false;
    } else if (code < 0x80 && ASCII_WORD[code] === 0) {
      if (wordFrom >= 0) {
        sink.word(wordFrom, i);
        wordFrom = -1;
      }
      afterSpace = true;
    } else {
      // Another script breaks the Hangul run; spaces alone do not.
      prev = -1;
      if (wordFrom < 0) wordFrom = i;
      afterSpace = false;
    }
  }
  if (wordFrom >= 0) sink.word(wordFrom, n);
}

export interface ChoseongSink {
  /** Initial consonants of two syllables, at `from` and `to` in the text. */
  bigram(key: number, from: number, to: number): void;
  wordStart(key: number, at: number): void;
}

/** The initial-consonant terms of a (normalised) title: spaces and other scripts ignored. */
export function tokenizeChoseong(text: string, sink: ChoseongSink): void {
  let prev = -1;
  let prevAt = -1;
  let afterSpace = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const c = choseongIndex(code);
    if (c >= 0) {
      if (afterSpace) sink.wordStart(CHOSEONG_START_BASE + c, i);
      if (prev >= 0) sink.bigram(CHOSEONG_BIGRAM_BASE + prev * 19 + c, prevAt, i);
      prev = c;
      prevAt = i;
      afterSpace = false;
    } else {
      afterSpace = code === 0x20 || afterSpace;
    }
  }
}
