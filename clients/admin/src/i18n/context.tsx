import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { formatDateTime, browserTimeZone } from '../lib/dates';
import {
  LANGUAGES,
  preferredLanguage,
  translate,
  type Language,
  type MessageKey,
  type Vars,
} from './messages';

const STORAGE_KEY = 'moim.admin.language';

interface I18n {
  language: Language;
  timeZone: string;
  setLanguage(language: Language): void;
  t(key: MessageKey, vars?: Vars): string;
  date(iso: string): string;
}

const I18nContext = createContext<I18n | null>(null);

/** localStorage can refuse (a browser setting): the language is then not remembered, nothing more. */
function savedLanguage(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function initialLanguage(): Language {
  const saved = savedLanguage();
  if (saved && (LANGUAGES as readonly string[]).includes(saved)) return saved as Language;
  return preferredLanguage(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const timeZone = useMemo(browserTimeZone, []);
  useEffect(() => {
    // Screen readers pick their voice from the document's language.
    document.documentElement.lang = language;
  }, [language]);
  const setLanguage = useCallback((next: Language) => {
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // not remembered, still switched
    }
    setLanguageState(next);
  }, []);
  const value = useMemo<I18n>(
    () => ({
      language,
      timeZone,
      setLanguage,
      t: (key, vars) => translate(language, key, vars),
      date: (iso) => formatDateTime(iso, language, timeZone),
    }),
    [language, timeZone, setLanguage],
  );
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside I18nProvider');
  return i18n;
}
