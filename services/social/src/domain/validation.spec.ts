import { describe, expect, it } from 'vitest';
import { ADMIN_LOGIN, DEMO_LOGIN, loadDemoData } from '@moim/demo';
import {
  isHighlyRestrictive,
  loginEmail,
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

const refused = (field: string) => ({ code: 'BAD_USER_INPUT', field });

describe('nicknames', () => {
  it.each([
    ['Hangul fillers', '\u3164\u3164'],
    ['a Hangul filler inside', 'ab\u3164cd'],
    ['choseong and jungseong fillers', 'a\u115fb\u1160c'],
    ['the half-width filler', '\uffa0\uffa0ab'],
    ['a zero-width space', 'ab\u200bcd'],
    ['a zero-width joiner', 'ab\u200dcd'],
    ['a combining grapheme joiner', 'ab\u034fcd'],
    ['a word joiner', 'ab\u2060cd'],
    ['a byte order mark inside', 'ab\ufeffcd'],
    ['a Cyrillic а among Latin letters', '\u0430dmin'],
    ['a Cyrillic і among Latin letters', 'adm\u0456n'],
    ['a Greek Α among Latin letters', '\u0391dmin'],
    ['Cyrillic with Hangul', '\u0430\ub9db\uc9d1'],
    ['Latin with Arabic-Indic digits', 'ali\u0661\u0662'],
    ['a historic script', '\u{10000}\u{10001}'],
    ['a letter whose compatibility form has spaces', 'a\ufdfa'],
  ])('refuse %s', (_, nickname) => {
    expect(codeOf(() => validNickname(nickname))).toEqual(refused('nickname'));
  });

  it.each([
    ['Korean with Latin letters and digits', '맛집_lover1'],
    ['Japanese with Latin', 'ゆきのTokyo'],
    ['Japanese with the prolonged sound mark', 'ラーメン王'],
    ['Chinese with Bopomofo and Latin', '小明ㄅ_ming'],
    ['Korean with Han', '金민수'],
    ['Cyrillic alone', 'Иван_99'],
    ['Greek alone', 'Αλέξης'],
    ['Latin with accents', 'José.María'],
    ['full-width Latin', 'ｊｏｓｅ'],
    ['Thai alone', 'สมชาย'],
  ])('accept %s', (_, nickname) => {
    expect(validNickname(nickname)).toBe(nickname);
    expect(isHighlyRestrictive(nickname)).toBe(true);
  });

  it('are stored composed (NFC), so a decomposed Hangul name is the same name', () => {
    const decomposed = '맛집'.normalize('NFD');
    expect(decomposed).not.toBe('맛집');
    expect(validNickname(decomposed)).toBe('맛집');
  });

  it('accept every demo nickname', async () => {
    const demo = await loadDemoData();
    for (const u of demo.users) expect(validNickname(u.nickname)).toBe(u.nickname);
  });
});

describe('passwords', () => {
  it.each([
    ['eight spaces', '        '],
    ['ideographic spaces and a tab', '\u3000\u3000\u3000\u3000\t\u3000\u3000\u3000'],
    ['a common password', 'password'],
    ['a common password in capitals', 'PASSWORD'],
    ['a common password in full-width letters', 'ｐａｓｓｗｏｒｄ'],
    ['another common one', 'iloveyou'],
    ['digits in a row', '12345678'],
  ])('refuse %s', (_, password) => {
    expect(codeOf(() => validPassword(password, 'someone@example.com'))).toEqual(refused('password'));
  });

  it('refuse the email, or its local part with too little beside it', () => {
    const email = 'ann.lee@example.com';
    for (const password of [
      email,
      'ANN.LEE@EXAMPLE.COM',
      `${email}!`,
      'ann.lee1',
      'ann.lee2024',
      'Ánn.Lee99',
    ])
      expect(
        codeOf(() => validPassword(password, email)),
        password,
      ).toEqual(refused('password'));
  });

  it('accept a long password that happens to contain the local part, and the fixtures in use', () => {
    expect(validPassword('sleepless-kimchi-night', 'kim@example.com')).toBe('sleepless-kimchi-night');
    for (const password of [
      'correct-horse-battery',
      'long-enough-pw',
      DEMO_LOGIN.password,
      ADMIN_LOGIN.password,
    ])
      expect(validPassword(password, 'someone@example.com')).toBe(password);
  });
});

describe('emails', () => {
  it.each([
    ['a NUL', 'ann\u0000@example.com'],
    ['a control character', 'ann\u0007@example.com'],
    ['a newline inside', 'ann\n@example.com'],
    ['angle brackets', '<ann@example.com>'],
    ['a tag after it', 'ann@example.com<script>'],
    ['a space inside', 'ann lee@example.com'],
    ['a space in the domain', 'ann@exam ple.com'],
    ['a quoted local part', '"ann"@example.com'],
    ['two dots in a row', 'ann..lee@example.com'],
    ['a leading dot', '.ann@example.com'],
    ['a trailing dot in the domain', 'ann@example.com.'],
    ['no dot in the domain', 'ann@localhost'],
    ['a label starting with a hyphen', 'ann@-example.com'],
    ['a numeric top-level domain', 'ann@example.123'],
    ['two at signs', 'ann@lee@example.com'],
    ['a zero-width space', 'ann\u200b@example.com'],
    ['a Hangul filler', '\u3164@example.com'],
    ['a local part over 64 characters', `${'a'.repeat(65)}@example.com`],
  ])('refuse %s', (_, email) => {
    expect(codeOf(() => validEmail(email))).toEqual(refused('email'));
  });

  it.each([
    ['plus addressing', 'ann+moim@example.com', 'ann+moim@example.com'],
    ['accents, stored composed', 'Zoe\u0308.Kim@Example.com', 'zoë.kim@example.com'],
    ['an internationalised address', '사용자@예시.한국', '사용자@예시.한국'],
    ['a punycode domain', 'ann@xn--9n2bp8q.xn--3e0b707e', 'ann@xn--9n2bp8q.xn--3e0b707e'],
    [
      'the characters RFC 5322 allows',
      "o'neil_j-k!#$%&*/=?^`{|}~@ex-ample.co.kr",
      "o'neil_j-k!#$%&*/=?^`{|}~@ex-ample.co.kr",
    ],
  ])('accept %s', (_, email, stored) => {
    expect(validEmail(email)).toBe(stored);
  });

  it('are looked up at login in the looser form older accounts were made with', () => {
    expect(loginEmail(' Ann<x>@Example.com ')).toBe('ann<x>@example.com');
    expect(codeOf(() => loginEmail('ann@'))).toEqual(refused('email'));
  });
});

describe('look-alike nicknames (UTS #39 skeletons)', () => {
  it('are one nickname: same key for names that look the same', () => {
    expect(nicknameKey('сосо')).toBe(nicknameKey('coco')); // all Cyrillic
    expect(nicknameKey('admın')).toBe(nicknameKey('admin')); // dotless ı
    expect(nicknameKey('PAYPAL')).toBe(nicknameKey('paypal'));
    expect(nicknameKey('がく')).not.toBe(nicknameKey('かく'));
    expect(nicknameKey('Москва')).not.toBe(nicknameKey('Mockba_'));
  });

  it('refuses modifier letters that pass for apostrophes', () => {
    for (const name of ['adminʼ', 'adminʹ', 'ˈadmin'])
      expect(codeOf(() => validNickname(name))).toEqual({ code: 'BAD_USER_INPUT', field: 'nickname' });
    expect(validNickname('ラーメン')).toBe('ラーメン'); // ー is a modifier letter of kana, a real one
  });
});
