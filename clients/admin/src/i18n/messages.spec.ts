import { describe, expect, it } from 'vitest';
import { en } from './en';
import { ko } from './ko';
import {
  DICTIONARIES,
  LANGUAGES,
  placeholders,
  preferredLanguage,
  translate,
  type MessageKey,
} from './messages';

describe('the dictionaries', () => {
  it('have the same keys in every language', () => {
    for (const language of LANGUAGES)
      expect(Object.keys(DICTIONARIES[language]).sort()).toEqual(Object.keys(en).sort());
  });

  it('ask for the same values in every language', () => {
    const mismatched = (Object.keys(en) as MessageKey[]).filter(
      (key) => placeholders(en[key]).join() !== placeholders(ko[key]).join(),
    );
    expect(mismatched).toEqual([]);
  });

  it('leave no message empty or untranslated', () => {
    for (const language of LANGUAGES) {
      const empty = Object.entries(DICTIONARIES[language]).filter(([, text]) => !text.trim());
      expect(empty).toEqual([]);
    }
    // Korean text, not English left behind: every Korean message has Hangul in it but a job's
    // name and id, which are the job's own.
    const noHangul = Object.entries(ko).filter(([, text]) => !/[\uac00-\ud7a3]/.test(text));
    expect(noHangul.map(([key]) => key)).toEqual(['queues.job']);
  });
});

describe('translate', () => {
  it('fills placeholders and keeps the ones it has no value for', () => {
    expect(translate('en', 'queues.retried', { id: '42' })).toBe('Job 42 moved back to waiting.');
    expect(translate('ko', 'page.number', { n: 3 })).toBe('3페이지');
    expect(translate('en', 'app.signedInAs')).toBe('Signed in as {nickname}');
  });

  it('falls back to the key for a value the console does not know, instead of throwing', () => {
    // A reason or role added to the graph after this console was built.
    const reason = 'HARASSMENT' as string;
    expect(translate('ko', `reports.reason.${reason}` as MessageKey)).toBe('reports.reason.HARASSMENT');
    expect(translate('en', `users.role.${'MODERATOR' as string}` as MessageKey, { n: 1 })).toBe(
      'users.role.MODERATOR',
    );
    expect(translate('en', 'constructor' as MessageKey)).toBe('constructor');
    expect(translate('ko', 'users.role.ADMIN')).toBe('관리자');
  });
});

describe('preferredLanguage', () => {
  it('takes the first of Korean or English the browser asks for, English otherwise', () => {
    expect(preferredLanguage(['ko-KR', 'en-US'])).toBe('ko');
    expect(preferredLanguage(['fr-FR', 'en-GB', 'ko'])).toBe('en');
    expect(preferredLanguage(['ja-JP', 'KO'])).toBe('ko');
    expect(preferredLanguage(['de-DE'])).toBe('en');
    expect(preferredLanguage([])).toBe('en');
  });
});
