import { decodeHTML } from 'entities';
import { WEEKDAYS, type TermRecord } from './records';

/** Text as people read it: HTML entities decoded (`&amp;` → `&`), whitespace collapsed, trimmed. */
export function cleanText(value: string | null | undefined): string {
  return decodeHTML(value ?? '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** `cleanText`, or null when nothing is left. */
export function optionalText(value: string | null | undefined): string | null {
  return cleanText(value) || null;
}

/**
 * A clock time as registrars write it — `12:30 PM`, `9:05 am`, `0930`, `13:00` — as `HH:MM` (24 h).
 * Null for `ARRANGED`, `TBA` or nothing; throws on anything else (the row is rejected).
 */
export function clockTime(value: string | null | undefined): string | null {
  const text = cleanText(value).toLowerCase();
  if (!text || text === 'arranged' || text === 'tba') return null;
  const m = /^(\d{1,2}):?(\d{2})\s*(am|pm)?$/.exec(text);
  if (!m) throw new Error(`unreadable time "${value}"`);
  let hour = Number(m[1]);
  const minute = Number(m[2]);
  const half = m[3];
  if (half) {
    if (hour < 1 || hour > 12) throw new Error(`unreadable time "${value}"`);
    if (half === 'am' && hour === 12) hour = 0;
    if (half === 'pm' && hour !== 12) hour += 12;
  }
  if (hour > 23 || minute > 59) throw new Error(`unreadable time "${value}"`);
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
}

/** Where meeting days fall in the week by their first day (`TR` → 1); no days sort last. */
export const firstDayRank = (days: string): number =>
  days ? WEEKDAYS.indexOf(days[0] as (typeof WEEKDAYS)[number]) : WEEKDAYS.length;

/** Minutes since midnight of an `HH:MM` time. */
export const minutesOf = (time: string): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/**
 * Meeting days as letters in week order. Accepts registrars' letters (`MTWRF`, `TR`, `SU`, with
 * spaces) and throws on other letters; `U` is Sunday and `S` Saturday.
 */
export function weekdays(value: string | null | undefined): string {
  const text = cleanText(value).toUpperCase().replace(/\s/g, '');
  for (const letter of text)
    if (!(WEEKDAYS as readonly string[]).includes(letter))
      throw new Error(`unknown day "${letter}" in "${value}"`);
  return WEEKDAYS.filter((d) => text.includes(d)).join('');
}

/**
 * Credit hours written as free text — `3 hours.`, `1 TO 4 hours.`, `2 OR 3 hours.`,
 * `1.000 TO       18.000 Credits`, `3.000 Credits` — as a range; nulls when there is no number.
 */
export function creditRange(value: string | null | undefined): { min: number | null; max: number | null } {
  const numbers = (cleanText(value).match(/\d+(?:\.\d+)?/g) ?? []).map(Number);
  if (numbers.length === 0) return { min: null, max: null };
  return { min: Math.min(...numbers), max: Math.max(...numbers) };
}

const SEASONS: Record<string, string> = {
  spring: 'sp',
  summer: 'su',
  fall: 'fa',
  autumn: 'fa',
  winter: 'wi',
};

/** `Summer 2021` → `{ code: '2021-su', name: 'Summer 2021' }`; null when it is not a season and a year. */
export function termFromName(value: string): Pick<TermRecord, 'code' | 'name'> | null {
  const m = /^(spring|summer|fall|autumn|winter)\s+(\d{4})$/i.exec(cleanText(value));
  if (!m) return null;
  const season = m[1]!.toLowerCase();
  return {
    code: `${m[2]}-${SEASONS[season]}`,
    name: `${season[0]!.toUpperCase()}${season.slice(1)} ${m[2]}`,
  };
}

/** A term code as Moim writes it: `2025-su`. */
export const TERM_CODE = /^\d{4}-(sp|su|fa|wi)$/;

/** `2025-su` → `Summer 2025`. */
export function termName(code: string): string {
  const [year, season] = code.split('-');
  const name = Object.entries(SEASONS).find(([, c]) => c === season)![0];
  return `${name[0]!.toUpperCase()}${name.slice(1)} ${year}`;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * A date as schedules write it — `Jun 14, 2021`, `06/14/2021`, `2021-06-14` — as an ISO date;
 * throws on anything else.
 */
export function isoDate(value: string): string {
  const text = cleanText(value);
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) return `${m[1]}-${m[2]}-${m[3]}`;
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  if (m) return `${m[3]}-${m[1]!.padStart(2, '0')}-${m[2]!.padStart(2, '0')}`;
  m = /^([a-z]{3})[a-z]*\.?\s+(\d{1,2}),\s*(\d{4})$/i.exec(text);
  const month = m ? MONTHS.indexOf(m[1]!.toLowerCase()) : -1;
  if (m && month >= 0) return `${m[3]}-${String(month + 1).padStart(2, '0')}-${m[2]!.padStart(2, '0')}`;
  throw new Error(`unreadable date "${value}"`);
}
