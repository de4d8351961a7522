import type { Language } from '../i18n/messages';

const formats = new Map<string, Intl.DateTimeFormat>();

function formatter(language: Language, timeZone: string): Intl.DateTimeFormat {
  const key = `${language}|${timeZone}`;
  let format = formats.get(key);
  if (!format) {
    // The zone's name stays in every date: an admin comparing with a log in UTC sees the offset.
    format = new Intl.DateTimeFormat(language === 'ko' ? 'ko-KR' : 'en-US', {
      timeZone,
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
      // Korean admins read 24-hour times; ICU's Korean day periods also differ between versions.
      ...(language === 'ko' ? { hourCycle: 'h23' as const } : {}),
      timeZoneName: 'short',
    });
    formats.set(key, format);
  }
  return format;
}

/** An ISO instant from the API in the admin's language and time zone, e.g. "Jan 2, 2026, 12:04 PM GMT+9". */
export function formatDateTime(iso: string, language: Language, timeZone: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return formatter(language, timeZone).format(date);
}

/** The browser's IANA zone (UTC when it has none to tell). */
export const browserTimeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
