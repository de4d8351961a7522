import { describe, expect, it } from 'vitest';
import { loadNsmcSample, parseNsmc, toStars } from './nsmc';

const HEADER = 'review_id\tauthor\tmovie_id\trating\tdate\treview';
const tsv = (...rows: string[]) => [HEADER, ...rows].join('\n') + '\n';

describe('parseNsmc', () => {
  it('parses every field', () => {
    const rows = parseNsmc(
      tsv('9523375\tsung****\t10001\t10\t14.12.27\t영화 최고!', '31962\thell****\t17172\t1\t04.03.07\t별로 '),
    );
    expect(rows).toEqual([
      {
        reviewId: '9523375',
        author: 'sung****',
        movieId: '10001',
        rating: 10,
        date: new Date('2014-12-27T00:00:00Z'),
        text: '영화 최고!',
      },
      {
        reviewId: '31962',
        author: 'hell****',
        movieId: '17172',
        rating: 1,
        date: new Date('2004-03-07T00:00:00Z'),
        text: '별로 ',
      },
    ]);
  });

  it('names the line of a row with the wrong column count', () => {
    expect(() => parseNsmc(tsv('1\ta****\t2\t5\t10.01.01\tok', '2\tb****\t3\t5\t10.01.01'))).toThrow(
      /line 3\b/,
    );
  });

  it('rejects a rating outside 1–10', () => {
    expect(() => parseNsmc(tsv('1\ta****\t2\t11\t10.01.01\tok'))).toThrow(/line 2\b.*rating/);
    expect(() => parseNsmc(tsv('1\ta****\t2\t0\t10.01.01\tok'))).toThrow(/rating/);
  });

  it('rejects a malformed or impossible date', () => {
    expect(() => parseNsmc(tsv('1\ta****\t2\t5\t2010-01-01\tok'))).toThrow(/line 2\b.*date/);
    expect(() => parseNsmc(tsv('1\ta****\t2\t5\t10.02.30\tok'))).toThrow(/date/);
  });
});

describe('toStars', () => {
  it('halves a 1–10 rating, rounding up', () => {
    expect([1, 2, 3, 10].map(toStars)).toEqual([1, 1, 2, 5]);
  });
});

describe('loadNsmcSample', () => {
  it('loads the committed demo sample', async () => {
    const rows = await loadNsmcSample();
    expect(rows.length).toBeGreaterThanOrEqual(2000);
    expect(new Set(rows.map((r) => r.author)).size).toBeGreaterThanOrEqual(40);
    expect(rows.every((r) => Number.isInteger(r.rating) && r.rating >= 1 && r.rating <= 10)).toBe(true);
    expect(rows.every((r) => r.text.trim() !== '')).toBe(true);
  });
});
