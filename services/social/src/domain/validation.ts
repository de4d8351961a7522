import { readFileSync } from 'node:fs';
import { badInput } from '@moim/kit';

const NICKNAME = /^[\p{L}\p{N}_.]+$/u;
/**
 * Characters that render as nothing (zero-width spaces and joiners, soft hyphens, Hangul fillers
 * such as U+3164, which Unicode counts as letters): a name made of them looks empty or like another.
 */
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/u;

// RFC 5322's dot-atom, with letters and marks of any script (RFC 6531): no quoted local parts,
// comments, spaces, control characters or brackets; domain labels of letters, digits and hyphens.
const ATEXT = "[\\p{L}\\p{M}\\p{N}!#$%&'*+/=?^_`{|}~-]";
const LOCAL_PART = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`, 'u');
const DOMAIN_LABEL = /^[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?$/u;

/** The form an email is stored in: trimmed, composed (NFC) and lower case; refused unless it is an address. */
export function validEmail(value: string): string {
  const email = value.trim().normalize('NFC').toLowerCase();
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const labels = email.slice(at + 1).split('.');
  const valid =
    email.length <= 254 &&
    at > 0 &&
    local.length <= 64 &&
    LOCAL_PART.test(local) &&
    labels.length >= 2 &&
    labels.every((label) => DOMAIN_LABEL.test(label)) &&
    !/^\d+$/.test(labels.at(-1)!) &&
    !INVISIBLE.test(email);
  if (!valid) throw badInput('email is not a valid email address', 'email');
  return email;
}

/**
 * Logging in only looks an email up: the looser shape that sign-up used to accept, so an account
 * made before the stricter rules can still log in.
 */
export function loginEmail(value: string): string {
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
    throw badInput('email is not a valid email address', 'email');
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

/**
 * Unicode's confusables (UTS #39): each character that looks like another, mapped to the one they
 * all look like (Cyrillic `а` and `с` to Latin `a` and `c`, dotless `ı` to `i`, `1` to `l`). See
 * confusables.md for where the data comes from. Read on first use.
 */
let confusables: Map<string, string> | undefined;
const prototypes = () =>
  (confusables ??= new Map(
    Object.entries(
      JSON.parse(readFileSync(new URL('./confusables.json', import.meta.url), 'utf8')) as Record<
        string,
        string
      >,
    ),
  ));

/** UTS #39's skeleton: two names with the same skeleton look the same. */
export function skeleton(value: string): string {
  const map = prototypes();
  let out = '';
  for (const char of value.normalize('NFD')) out += map.get(char) ?? char;
  return out.normalize('NFD');
}

/**
 * The unique key of a nickname: nicknames that differ only by case, accents, compatibility forms
 * or look-alike letters (`сосо` in Cyrillic and `coco`) are one nickname.
 */
export const nicknameKeyOf = (nickname: string): string => skeleton(normalisedKey(nickname)).normalize('NFC');

/** Compatibility forms can expand a lot (one character to eighteen): the key has a column to fit. */
function fits(key: string, field: string, max: number): string {
  if (key.length > max) throw badInput(`${field} is too long once normalised`, field);
  return key;
}

export const emailKey = (email: string): string => fits(normalisedKey(email), 'email', 300);
export const nicknameKey = (nickname: string): string => fits(nicknameKeyOf(nickname), 'nickname', 80);

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/**
 * The most common passwords of 8 characters or more, lower case, one a line (see
 * common-passwords.md for where they come from). Read on first use: nothing is fetched at run time.
 */
let common: Set<string> | undefined;
export const isCommonPassword = (password: string): boolean =>
  (common ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter(Boolean),
  )).has(normalisedKey(password));

/**
 * Refuses passwords that are guessed first: too short, blank, on the list of common ones, or
 * made of the account's email. The local part of the email may appear in a longer password
 * (`kim` in `sleepless-kimchi-night`), but does not count towards its length.
 */
export function validPassword(value: string, email?: string): string {
  if (value.length < PASSWORD_MIN_LENGTH)
    throw badInput(`password must be at least ${PASSWORD_MIN_LENGTH} characters`, 'password');
  if (value.length > PASSWORD_MAX_LENGTH)
    throw badInput(`password must be at most ${PASSWORD_MAX_LENGTH} characters`, 'password');
  if (/^[\s\p{Default_Ignorable_Code_Point}]*$/u.test(value))
    throw badInput('password must not be only spaces', 'password');
  if (isCommonPassword(value))
    throw badInput('password is one of the most common passwords: choose another', 'password');
  if (email) {
    const password = normalisedKey(value);
    const address = normalisedKey(email);
    const local = address.slice(0, address.lastIndexOf('@'));
    if (
      password.includes(address) ||
      (local && password.includes(local) && password.replaceAll(local, '').length < PASSWORD_MIN_LENGTH)
    )
      throw badInput('password must not be made of your email address', 'password');
  }
  return value;
}

/** The form a nickname is stored in: composed (NFC) and trimmed; refused unless it is a plain name. */
export function validNickname(value: string): string {
  const nickname = value.normalize('NFC').trim();
  if (nickname.length < 2 || nickname.length > 20)
    throw badInput('nickname must be 2 to 20 characters', 'nickname');
  // Checked in the compatibility form too: one character may stand for several (U+FDFA has spaces).
  const compatible = nickname.normalize('NFKC');
  if (INVISIBLE.test(nickname) || INVISIBLE.test(compatible))
    throw badInput('nickname must not contain invisible characters', 'nickname');
  if (!NICKNAME.test(nickname) || !NICKNAME.test(compatible))
    throw badInput('nickname may contain only letters, digits, _ and .', 'nickname');
  // Letters of no alphabet, and the spacing modifier letters (U+02B0–U+02FF: ʼ ʹ ˈ …), which pass
  // for apostrophes and accents rather than letters.
  if (/(?=\p{L})\p{Script_Extensions=Common}|[\u02b0-\u02ff]/u.test(nickname))
    throw badInput('nickname may contain only letters, digits, _ and .', 'nickname');
  if (!isHighlyRestrictive(nickname))
    throw badInput(
      'nickname must not mix alphabets that look alike (such as Latin and Cyrillic)',
      'nickname',
    );
  return nickname;
}

/**
 * Scripts a name may use: UAX #31's recommended and limited-use scripts (historic ones such as
 * cuneiform are not for names). ISO 15924 codes, as Unicode property escapes name them.
 */
const SCRIPTS = (
  'Arab Armn Beng Bopo Cyrl Deva Ethi Geor Grek Gujr Guru Hang Hani Hebr Hira Kana Khmr Knda ' +
  'Laoo Latn Mlym Mymr Orya Sinh Taml Telu Thaa Thai Tibt ' +
  'Adlm Bali Bamu Batk Cakm Cans Cham Cher Hmnp Java Kali Lana Lepc Limb Lisu Mand Mong Mtei ' +
  'Newa Nkoo Olck Osge Plrd Rohg Saur Sund Sylo Syrc Tale Talu Tavt Tfng Vaii Wcho Yiii'
).split(' ');
/** Han, kana, Hangul and Bopomofo are written together: Japanese, Korean, Chinese (UTS #39, 5.1). */
const AUGMENTED: Record<string, string[]> = {
  Hani: ['Hanb', 'Jpan', 'Kore'],
  Hira: ['Jpan'],
  Kana: ['Jpan'],
  Hang: ['Kore'],
  Bopo: ['Hanb'],
};
/** What UTS #39's "highly restrictive" level allows beyond a single script. */
const ALLOWED_MIXES = [
  ['Latn', 'Hani', 'Hira', 'Kana'],
  ['Latn', 'Hani', 'Bopo'],
  ['Latn', 'Hani', 'Hang'],
];
/** Digits, `_`, `.` and combining marks belong to every script. */
const ANY_SCRIPT = /^[\p{scx=Zyyy}\p{scx=Zinh}]$/u;
let scriptTests: Array<[string, RegExp]> | undefined;
// Built on first use, skipping a script this engine does not know rather than failing to load.
const scriptsKnown = () =>
  (scriptTests ??= SCRIPTS.flatMap((script): Array<[string, RegExp]> => {
    try {
      return [[script, new RegExp(`^\\p{scx=${script}}$`, 'u')]];
    } catch {
      return [];
    }
  }));

/**
 * UTS #39's "highly restrictive" restriction level: every letter of one script, or only Latin
 * with Han and kana (Japanese), Han and Bopomofo (Chinese) or Han and Hangul (Korean). So
 * `맛집_lover1` is a name, and `аdmin` with a Cyrillic `а` is not.
 */
export function isHighlyRestrictive(text: string): boolean {
  if (/^[\w.]*$/.test(text)) return true; // ASCII letters, digits, _ and .: all Latin
  const sets: Array<Set<string>> = [];
  for (const char of text) {
    if (ANY_SCRIPT.test(char)) continue;
    const scripts = new Set<string>();
    for (const [script, test] of scriptsKnown())
      if (test.test(char)) for (const s of [script, ...(AUGMENTED[script] ?? [])]) scripts.add(s);
    if (!scripts.size) return false;
    sets.push(scripts);
  }
  const [first, ...rest] = sets;
  if (!first || [...first].some((script) => rest.every((set) => set.has(script)))) return true;
  return ALLOWED_MIXES.some((mix) => sets.every((set) => mix.some((script) => set.has(script))));
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
