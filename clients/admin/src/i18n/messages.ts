import { en, type MessageKey } from './en';
import { ko } from './ko';

export type { MessageKey };
export const LANGUAGES = ['en', 'ko'] as const;
export type Language = (typeof LANGUAGES)[number];
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', ko: '한국어' };

export const DICTIONARIES: Record<Language, Record<MessageKey, string>> = { en, ko };

export type Vars = Record<string, string | number>;

/**
 * A message with its `{name}` placeholders filled; a missing value shows the placeholder, never
 * "undefined". Keys built from server enums (`reports.reason.${reason}`) can name a value the
 * console does not know yet (a new reason or role): English then, or the key itself, never a throw.
 */
export function translate(language: Language, key: MessageKey, vars: Vars = {}): string {
  const text = lookup(DICTIONARIES[language], key) ?? lookup(DICTIONARIES.en, key) ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(vars, name) ? String(vars[name]) : whole,
  );
}

// Own keys only: `constructor` or `toString` are not messages.
const lookup = (dictionary: Record<string, string>, key: string): string | undefined =>
  Object.hasOwn(dictionary, key) ? dictionary[key] : undefined;

/** The placeholders a message uses, sorted: both languages must ask for the same values. */
export const placeholders = (text: string): string[] =>
  [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

/** Korean for browsers asking for Korean first, English otherwise. */
export function preferredLanguage(requested: readonly string[]): Language {
  for (const tag of requested) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ko' || base === 'en') return base;
  }
  return 'en';
}
