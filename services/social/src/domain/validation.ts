import { badInput } from '@moim/kit';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const NICKNAME = /^[\p{L}\p{N}_.]+$/u;

export function validEmail(value: string): string {
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badInput('email is not a valid email address', 'email');
  return email;
}

/**
 * The form two emails or nicknames are compared in: case, Latin accents and compatibility forms
 * (full-width letters, ligatures) do not make a different name. Only combining diacritics
 * (U+0300–U+036F) are dropped: other marks, such as kana voicing, tell words apart. Stored in a
 * unique key column, so the rule is the same on every database, whatever its collation.
 */
export function normalisedKey(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .normalize('NFC');
}

/** Compatibility forms can expand a lot (one character to eighteen): the key has a column to fit. */
function keyOf(value: string, field: string, max: number): string {
  const key = normalisedKey(value);
  if (key.length > max) throw badInput(`${field} is too long once normalised`, field);
  return key;
}

export const emailKey = (email: string): string => keyOf(email, 'email', 300);
export const nicknameKey = (nickname: string): string => keyOf(nickname, 'nickname', 80);

export function validPassword(value: string): string {
  if (value.length < 8) throw badInput('password must be at least 8 characters', 'password');
  if (value.length > 128) throw badInput('password must be at most 128 characters', 'password');
  return value;
}

export function validNickname(value: string): string {
  const nickname = value.trim();
  if (nickname.length < 2 || nickname.length > 20)
    throw badInput('nickname must be 2 to 20 characters', 'nickname');
  if (!NICKNAME.test(nickname))
    throw badInput('nickname may contain only letters, digits, _ and .', 'nickname');
  return nickname;
}

export function validBio(value: string): string | null {
  const bio = value.trim();
  if (bio.length > 300) throw badInput('bio must be at most 300 characters', 'bio');
  return bio || null;
}

/** Normalises to E.164; Korean national numbers (010-1234-5678) become +8210…. */
export function validPhone(value: string): string {
  const compact = value.replace(/[\s-]/g, '');
  const e164 = /^0\d{9,10}$/.test(compact) ? `+82${compact.slice(1)}` : compact;
  if (!/^\+[1-9]\d{7,14}$/.test(e164))
    throw badInput('phone must be in E.164 form, e.g. +821012345678', 'phone');
  return e164;
}
