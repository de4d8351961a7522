import { describe, expect, it } from 'vitest';
import { rating, reviewTitle, text, url, URL_LIMIT } from './validation';

const fault = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { extensions: unknown }).extensions;
  }
  return null;
};

describe('review input validation', () => {
  it('accepts ratings 1 to 5 only', () => {
    expect(rating(5)).toBe(5);
    expect(fault(() => rating(9))).toEqual({ code: 'BAD_USER_INPUT', field: 'rating' });
    expect(fault(() => rating(2.5))).toEqual({ code: 'BAD_USER_INPUT', field: 'rating' });
  });

  it('rejects blank and overlong text', () => {
    expect(text('  맛있다  ', 'body', 10)).toBe('맛있다');
    expect(fault(() => text('   ', 'body', 10))).toEqual({ code: 'BAD_USER_INPUT', field: 'body' });
    expect(fault(() => text('x'.repeat(11), 'body', 10))).toEqual({ code: 'BAD_USER_INPUT', field: 'body' });
  });

  it('requires a title for long-form reviews only', () => {
    expect(fault(() => reviewTitle('DADALOG', null))).toEqual({ code: 'BAD_USER_INPUT', field: 'title' });
    expect(reviewTitle('SOSOLOG', null)).toBeNull();
  });

  it('accepts only http(s) URLs', () => {
    expect(url('https://example.com/a', 'externalUrl')).toBe('https://example.com/a');
    expect(fault(() => url('javascript:alert(1)', 'externalUrl'))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'externalUrl',
    });
  });

  it('limits a URL by the form it is stored in, which encoding can lengthen', () => {
    // 300 characters typed, 2,540 stored: each syllable is percent-encoded, three bytes of three characters
    const typed = `https://example.com/${'한'.repeat(280)}`;
    expect(typed.length).toBeLessThanOrEqual(URL_LIMIT);
    expect(new URL(typed).toString().length).toBeGreaterThan(URL_LIMIT);
    expect(fault(() => url(typed, 'purchaseUrl'))).toEqual({ code: 'BAD_USER_INPUT', field: 'purchaseUrl' });
    // spaces grow too, and a URL at the limit once encoded is kept as it will be stored
    const spaced = `https://example.com/${'a b'.repeat(200)}`;
    expect(fault(() => url(spaced, 'externalUrl'))).toEqual({ code: 'BAD_USER_INPUT', field: 'externalUrl' });
    const atLimit = `https://example.com/${'가'.repeat(Math.floor((URL_LIMIT - 20) / 9))}`;
    expect(url(atLimit, 'externalUrl')!.length).toBeLessThanOrEqual(URL_LIMIT);
    expect(url('HTTPS://Example.COM/a b', 'externalUrl')).toBe('https://example.com/a%20b');
  });
});
