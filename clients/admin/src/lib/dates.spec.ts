import { describe, expect, it } from 'vitest';
import { formatDateTime } from './dates';

// Node carries full ICU: the same output as the browser's Intl for these locales.
describe('formatDateTime', () => {
  const instant = '2026-01-02T03:04:05.000Z';

  it('shows an instant in the given zone, with the zone', () => {
    expect(formatDateTime(instant, 'en', 'Asia/Seoul')).toBe('Jan 2, 2026, 12:04 PM GMT+9');
    expect(formatDateTime(instant, 'en', 'UTC')).toBe('Jan 2, 2026, 3:04 AM UTC');
    expect(formatDateTime(instant, 'en', 'America/Los_Angeles')).toBe('Jan 1, 2026, 7:04 PM PST');
  });

  it('writes Korean dates in Korean, on the 24-hour clock', () => {
    expect(formatDateTime(instant, 'ko', 'Asia/Seoul')).toBe('2026년 1월 2일 12:04 GMT+9');
    expect(formatDateTime(instant, 'ko', 'UTC')).toBe('2026년 1월 2일 03:04 UTC');
  });

  it('follows daylight saving time of the zone', () => {
    expect(formatDateTime('2026-07-01T12:00:00Z', 'en', 'America/New_York')).toBe('Jul 1, 2026, 8:00 AM EDT');
    expect(formatDateTime('2026-12-01T12:00:00Z', 'en', 'America/New_York')).toBe('Dec 1, 2026, 7:00 AM EST');
  });

  it('hands back what is not a date unchanged', () => {
    expect(formatDateTime('not a date', 'en', 'UTC')).toBe('not a date');
  });
});
