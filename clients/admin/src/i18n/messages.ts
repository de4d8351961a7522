import { en, type MessageKey } from './en';
import { ko } from './ko';

export type { MessageKey };
export const LANGUAGES = ['en', 'ko'] as const;
export type Language = (typeof LANGUAGES)[number];
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', ko: '한국어' };

export const DICTIONARIES: Record<Language, Record<MessageKey, string>> = { en, ko };

export type Vars = Record<string, string | number>;

/** A message with its `{name}` placeholders filled; a missing value shows the placeholder, never "undefined". */
export function translate(language: Language, key: MessageKey, vars: Vars = {}): string {
  return DICTIONARIES[language][key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in vars ? String(vars[name]) : whole,
  );
}

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
