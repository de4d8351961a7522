import { describe, expect, it } from 'vitest';
import { rating, reviewTitle, text, url } from './validation';

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
});
