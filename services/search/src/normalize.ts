/**
 * Text normalisation shared by indexing and querying (the embedded engine and the Algolia
 * adapter), so that what is typed and what is stored compare alike.
 */

const CHOSEONG = 'ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ';
const SYLLABLE_FIRST = 0xac00;
const SYLLABLE_LAST = 0xd7a3;
/** Syllables per initial consonant: 21 vowels × 28 finals. */
const PER_CHOSEONG = 588;

/** Text of printable ASCII and Hangul syllables only is already NFKC: most text skips the call. */
const NEEDS_NFKC = /[^\x20-\x7e\uac00-\ud7a3]/;
const COMPAT_JAMO = /[\u3131-\u318e]/;
const NOT_COMPAT_JAMO = /[^\u3131-\u318e]+/g;
const CONJOINING_JAMO = /[\u1100-\u1112\u1161-\u1175\u11a8-\u11c2]/g;

/**
 * NFKC would turn compatibility jamo (what keyboards type: ㅅㅌㅂㅅ) into conjoining ones and even
 * compose `ㅎㅏ` into `하`; jamo typed alone are left as typed, and conjoining jamo that remain
 * (half-width input, stray decomposed text) are mapped back to the compatibility block.
 */
const LEADING = CHOSEONG;
const VOWELS = 'ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ';
const TRAILING = 'ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ';
function toCompatJamo(c: string): string {
  const code = c.charCodeAt(0);
  if (code <= 0x1112) return LEADING[code - 0x1100]!;
  if (code <= 0x1175) return VOWELS[code - 0x1161]!;
  return TRAILING[code - 0x11a8]!;
}

function nfkc(text: string): string {
  if (!NEEDS_NFKC.test(text)) return text;
  const composed = COMPAT_JAMO.test(text)
    ? text.replace(NOT_COMPAT_JAMO, (run) => run.normalize('NFKC'))
    : text.normalize('NFKC');
  return composed.replace(CONJOINING_JAMO, toCompatJamo);
}

/**
 * Decoration, replaced by a space: emoji (with variation selectors, joiners, keycaps, skin
 * tones); a run made only of laughter consonants (ㅋㅋ, ㅎㅎㅎ) — but not when it is part of a
 * longer run of consonants, which is an initial-consonant query (ㅅㅌㅎㅎ); runs of two or more
 * bare vowels (ㅠㅠ, ㅜㅜ, ㅡㅡ), which no initial-consonant query contains; punctuation and symbols.
 */
const DECORATION = new RegExp(
  [
    '(?:\\p{Extended_Pictographic}|\\p{Emoji_Modifier}|\\p{Variation_Selector}|\\u200D|\\u20E3)+',
    '(?<![\\u3131-\\u314e])[ㅋㅎ]{2,}(?![\\u3131-\\u314e])',
    '[\\u314f-\\u3163]{2,}',
    '[^\\p{L}\\p{N}\\p{M}\\s]+',
  ].join('|'),
  'gu',
);
const SPACES = /\s+/g;

/** NFKC, lower case, decoration removed, one space between words. */
export function normalize(text: string): string {
  return nfkc(text).toLowerCase().replace(DECORATION, ' ').replace(SPACES, ' ').trim();
}

/** The initial consonants of the Hangul syllables, words kept apart: `스타벅스 강남역점` → `ㅅㅌㅂㅅ ㄱㄴㅇㅈ`. */
export function choseong(text: string): string {
  let out = '';
  let pendingSpace = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= SYLLABLE_FIRST && code <= SYLLABLE_LAST) {
      if (pendingSpace && out.length > 0) out += ' ';
      pendingSpace = false;
      out += CHOSEONG[((code - SYLLABLE_FIRST) / PER_CHOSEONG) | 0];
    } else if (code <= 0x20 || code === 0x3000) {
      pendingSpace = true;
    }
  }
  return out;
}

/** The index (0–18) of a syllable's initial consonant, or -1 for anything else. */
export function choseongIndex(code: number): number {
  return code >= SYLLABLE_FIRST && code <= SYLLABLE_LAST ? ((code - SYLLABLE_FIRST) / PER_CHOSEONG) | 0 : -1;
}

/** The index (0–18) of a compatibility consonant typed as an initial (ㄱ … ㅎ), or -1. */
export function consonantIndex(c: string): number {
  return CHOSEONG.indexOf(c);
}

const CHOSEONG_ONLY = /^[ㄱ-ㅎ]+(?: [ㄱ-ㅎ]+)*$/;

/** Whether the query, once normalised, is made only of initial consonants (`ㅅㅌㅂㅅ`, `ㄱㄴ ㅇ`). */
export function isChoseongQuery(query: string): boolean {
  const text = normalize(query);
  if (!CHOSEONG_ONLY.test(text)) return false;
  for (const c of text) if (c !== ' ' && !CHOSEONG.includes(c)) return false;
  return true;
}
