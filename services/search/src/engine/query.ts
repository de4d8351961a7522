import { consonantIndex, normalize } from '../normalize';
import { idf, QUALITY } from './ranking';
import type { TermDictionary } from './terms';
import { CHOSEONG_BIGRAM_BASE, CHOSEONG_START_BASE, SYLLABLES, tokenize, type TermKey } from './tokenize';
import type { Vocabulary } from './vocabulary';

/** One bit per distinct term in a document's match mask. */
export const MAX_QUERY_TERMS = 32;
const PREFIX_EXPANSIONS = 8;
const TYPO_VARIANTS = 4;

const WEIGHT = { exact: 1, synonym: 0.9, prefix: 0.7, typo1: 0.5, typo2: 0.35, bonus: 0.5 } as const;

export interface QueryTerm {
  id: number;
  key: TermKey;
  /** idf × how much the way it was reached counts. */
  weight: number;
}

/** One way of matching a query word: all of its terms (`bits`), `size` of them including unknown ones. */
export interface Alternative {
  bits: number;
  size: number;
  quality: number;
}

/** A query word (or a synonym phrase): matched when one of its alternatives is matched whole. */
export interface Unit {
  alternatives: Alternative[];
}

export interface QueryPlan {
  terms: QueryTerm[];
  units: Unit[];
  /** For initial-consonant queries: the consonants, spaceless, that a title's must contain. */
  choseong: string | null;
}

export interface PlanContext {
  dictionary: TermDictionary;
  vocabulary: Vocabulary;
  synonyms: Synonyms;
  docs: number;
}

/** Synonym groups by the normalised phrase that starts them. */
export class Synonyms {
  private readonly groupOf = new Map<string, string[]>();
  readonly longest: number;

  constructor(groups: readonly (readonly string[])[]) {
    let longest = 1;
    for (const group of groups) {
      const members = [...new Set(group.map(normalize).filter((m) => m !== ''))];
      for (const m of members) {
        // A phrase in two groups matches both groups' words.
        const known = this.groupOf.get(m);
        this.groupOf.set(m, known ? [...new Set([...known, ...members])] : members);
        longest = Math.max(longest, m.split(' ').length);
      }
    }
    this.longest = longest;
  }

  of(phrase: string): string[] | undefined {
    return this.groupOf.get(phrase);
  }
}

class PlanBuilder {
  readonly terms: QueryTerm[] = [];
  readonly units: Unit[] = [];
  private readonly bitOf = new Map<number, number>();

  constructor(private readonly context: PlanContext) {}

  /** The term's bit: 0 when unknown (never matched), null past the query's term budget (left out). */
  term(key: TermKey, factor: number): number | null {
    const { dictionary, docs } = this.context;
    const id = dictionary.find(key);
    if (id < 0 || dictionary.dfOf(id) === 0) return 0;
    const known = this.bitOf.get(id);
    const weight = idf(dictionary.dfOf(id), docs) * factor;
    if (known !== undefined) {
      const t = this.terms[31 - Math.clz32(known)]!;
      t.weight = Math.max(t.weight, weight);
      return known;
    }
    if (this.terms.length >= MAX_QUERY_TERMS) return null;
    const bit = 1 << this.terms.length;
    this.bitOf.set(id, bit);
    this.terms.push({ id, key, weight });
    return bit;
  }

  alternative(keys: TermKey[], quality: number, factor: number): Alternative {
    let bits = 0;
    let size = 0;
    for (const key of new Set(keys)) {
      const bit = this.term(key, factor);
      if (bit === null) continue;
      bits |= bit;
      size++;
    }
    return { bits, size, quality };
  }
}

/** The terms a query word needs: bigrams of its Hangul runs (a one-syllable run: its word start), its other words. */
function wordTerms(word: string): { keys: TermKey[]; firstSyllable: number; lastSyllable: number } {
  const keys: TermKey[] = [];
  let runStart: number | null = null;
  let runHasBigram = false;
  let firstSyllable = -1;
  let lastSyllable = -1;
  const closeRun = () => {
    if (runStart !== null && !runHasBigram) keys.push(runStart);
    runStart = null;
    runHasBigram = false;
  };
  tokenize(word, {
    wordStart: (key, at) => {
      closeRun();
      runStart = key;
      if (at === 0) firstSyllable = word.charCodeAt(0) - 0xac00;
    },
    bigram: (key) => {
      runHasBigram = true;
      keys.push(key);
    },
    word: (from, to) => {
      closeRun();
      keys.push(word.slice(from, to));
    },
  });
  closeRun();
  const last = word.charCodeAt(word.length - 1) - 0xac00;
  if (last >= 0 && last < SYLLABLES) lastSyllable = last;
  return { keys, firstSyllable, lastSyllable };
}

/**
 * The plan of a normalised query: one unit per word (or synonym phrase). A Hangul word needs all
 * its bigrams; bigrams across the spaces between Hangul words count for relevance only, so
 * `정말 맛있어요` matches `맛있어요 정말` whole. A Latin word also matches words within typo
 * distance and, when it is the last and was not followed by a space, words it begins.
 */
export function planQuery(
  query: string,
  typedTrailingSpace: boolean,
  context: PlanContext,
): QueryPlan | null {
  if (query === '') return null;
  if (/^[ㄱ-ㅎ ]+$/.test(query) && [...query].every((c) => c === ' ' || consonantIndex(c) >= 0)) {
    return planChoseong(query.replaceAll(' ', ''), context);
  }
  const builder = new PlanBuilder(context);
  const words = query.split(' ');
  const bonus: number[] = [];
  let previousLast = -1;
  for (let i = 0; i < words.length;) {
    const phrase = synonymPhrase(words, i, context.synonyms);
    if (phrase !== null) {
      const alternatives = phrase.members.map((member) => {
        const keys = member.split(' ').flatMap((w) => wordTerms(w).keys);
        const exact = member === phrase.text;
        return builder.alternative(
          keys,
          exact ? QUALITY.exact : QUALITY.synonym,
          exact ? WEIGHT.exact : WEIGHT.synonym,
        );
      });
      builder.units.push({ alternatives });
      previousLast = -1;
      i += phrase.length;
      continue;
    }
    const word = words[i]!;
    const { keys, firstSyllable, lastSyllable } = wordTerms(word);
    if (previousLast >= 0 && firstSyllable >= 0) bonus.push(previousLast * SYLLABLES + firstSyllable);
    previousLast = lastSyllable;
    const alternatives = [builder.alternative(keys, QUALITY.exact, WEIGHT.exact)];
    if (keys.length === 1 && keys[0] === word) {
      const isLast = i === words.length - 1;
      if (isLast && !typedTrailingSpace && word.length >= 2) {
        for (const id of context.vocabulary.withPrefix(word, PREFIX_EXPANSIONS)) {
          alternatives.push(
            builder.alternative([context.dictionary.wordOf[id]!], QUALITY.prefix, WEIGHT.prefix),
          );
        }
      }
      for (const { id, distance } of context.vocabulary.typos(word, TYPO_VARIANTS)) {
        const one = distance === 1;
        alternatives.push(
          builder.alternative(
            [context.dictionary.wordOf[id]!],
            one ? QUALITY.typo1 : QUALITY.typo2,
            one ? WEIGHT.typo1 : WEIGHT.typo2,
          ),
        );
      }
    }
    builder.units.push({ alternatives });
    i++;
  }
  for (const key of bonus) builder.term(key, WEIGHT.bonus);
  return { terms: builder.terms, units: builder.units, choseong: null };
}

function synonymPhrase(
  words: string[],
  at: number,
  synonyms: Synonyms,
): { text: string; members: string[]; length: number } | null {
  for (let length = Math.min(synonyms.longest, words.length - at); length >= 1; length--) {
    const text = words.slice(at, at + length).join(' ');
    const members = synonyms.of(text);
    if (members !== undefined) return { text, members, length };
  }
  return null;
}

/** Initial consonants: the title's consonant bigrams (one consonant: a title word's first). */
function planChoseong(consonants: string, context: PlanContext): QueryPlan {
  const builder = new PlanBuilder(context);
  const idx = [...consonants].map(consonantIndex);
  const keys: number[] = [];
  if (idx.length === 1) keys.push(CHOSEONG_START_BASE + idx[0]!);
  for (let i = 1; i < idx.length; i++) keys.push(CHOSEONG_BIGRAM_BASE + idx[i - 1]! * 19 + idx[i]!);
  builder.units.push({ alternatives: [builder.alternative(keys, QUALITY.exact, WEIGHT.exact)] });
  return { terms: builder.terms, units: builder.units, choseong: consonants };
}
