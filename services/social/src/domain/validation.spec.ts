import { describe, expect, it } from 'vitest';
import {
  nicknameKey,
  normalisedKey,
  validEmail,
  validNickname,
  validPassword,
  validPhone,
} from './validation';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { extensions: { code: string; field: string } }).extensions;
  }
  return null;
};

describe('input validation', () => {
  it('normalises emails and rejects malformed ones', () => {
    expect(validEmail('  Ann@Example.COM ')).toBe('ann@example.com');
    expect(codeOf(() => validEmail('ann@'))).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
  });

  it('bounds nicknames and passwords', () => {
    expect(validNickname(' 맛집탐험가_1 ')).toBe('맛집탐험가_1');
    expect(codeOf(() => validNickname('a'.repeat(21)))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'nickname',
    });
    expect(codeOf(() => validNickname('no spaces'))).toEqual({ code: 'BAD_USER_INPUT', field: 'nickname' });
    expect(codeOf(() => validPassword('short'))).toEqual({ code: 'BAD_USER_INPUT', field: 'password' });
  });

  it('turns Korean national numbers into E.164', () => {
    expect(validPhone('010-1234-5678')).toBe('+821012345678');
    expect(validPhone('+14155550100')).toBe('+14155550100');
    expect(codeOf(() => validPhone('12345'))).toEqual({ code: 'BAD_USER_INPUT', field: 'phone' });
  });
});

describe('normalised keys', () => {
  it('fold case, Latin accents and full-width forms, and keep other marks', () => {
    expect(normalisedKey('JOSÉ')).toBe('jose');
    expect(normalisedKey('ｊｏｓｅ')).toBe('jose');
    expect(normalisedKey('Zoë.Kim@Example.com')).toBe('zoe.kim@example.com');
    expect(normalisedKey('맛집탐험가')).toBe('맛집탐험가');
    // が and か are different sounds: the voicing mark is kept.
    expect(normalisedKey('がく')).not.toBe(normalisedKey('かく'));
  });

  it('refuses a name whose key would not fit its column', () => {
    expect(nicknameKey('Ann')).toBe('ann');
    // U+FDFA expands to eighteen characters.
    expect(codeOf(() => nicknameKey('\ufdfa'.repeat(20)))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'nickname',
    });
  });
});
