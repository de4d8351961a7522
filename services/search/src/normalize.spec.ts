import { describe, expect, it } from 'vitest';
import { choseong, isChoseongQuery, normalize } from './normalize';

describe('normalize', () => {
  it.each([
    ['정말 맛있어요ㅋㅋㅋ!!!', '정말 맛있어요'],
    ['너무 슬퍼요ㅠㅠㅜㅜ', '너무 슬퍼요'],
    ['ㅎㅎ 좋아요', '좋아요'],
    ['ㅡㅡ 별로', '별로'],
    ['Ｓｔａｒｂｕｃｋｓ ☕️ 강남👨‍👩‍👧', 'starbucks 강남'],
    ['  STOP...   right   now!! ', 'stop right now'],
    ['㈜무림', '주 무림'],
  ])('%s → %s', (text, expected) => {
    expect(normalize(text)).toBe(expected);
  });

  it('keeps a query of initial consonants, even one containing ㅎㅎ', () => {
    expect(normalize('ㅅㅌㅂㅅ')).toBe('ㅅㅌㅂㅅ');
    expect(normalize('ㅅㅌㅎㅎ')).toBe('ㅅㅌㅎㅎ');
  });

  it('does not compose typed jamo into syllables (NFKC would: ㅎㅏ → 하)', () => {
    expect(normalize('ㅎㅏ')).toBe('ㅎㅏ');
  });

  it('maps half-width jamo to the compatibility jamo keyboards type', () => {
    expect(normalize('ﾡﾢ')).toBe('ㄱㄲ');
  });
});

describe('choseong', () => {
  it('spells the initial consonants, words apart', () => {
    expect(choseong('스타벅스 강남역점')).toBe('ㅅㅌㅂㅅ ㄱㄴㅇㅈ');
    expect(choseong('CGV 강남')).toBe('ㄱㄴ');
  });

  it('tells initial-consonant queries from the rest', () => {
    expect(isChoseongQuery('ㅅㅌㅂㅅ')).toBe(true);
    expect(isChoseongQuery('ㄱㄴ ㅇ')).toBe(true);
    expect(isChoseongQuery('ㅋㅋ')).toBe(false);
    expect(isChoseongQuery('스타')).toBe(false);
    expect(isChoseongQuery('ㅅㅌ벅스')).toBe(false);
    expect(isChoseongQuery('ㅏㅏ')).toBe(false);
  });
});
