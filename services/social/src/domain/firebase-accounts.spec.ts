import argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { baseNickname, nicknameCandidates, nicknameFrom, unusablePasswordHash } from './firebase-accounts';
import { hashPassword } from './passwords';
import { validNickname } from './validation';

describe('the nickname of an account made through Firebase', () => {
  it('is the display name made a nickname, or nothing when it cannot be one', () => {
    expect(nicknameFrom('Kim Min-su')).toBe('Kim_Min_su');
    expect(nicknameFrom('김민수')).toBe('김민수');
    expect(nicknameFrom('Kim 민수')).toBe('Kim_민수');
    expect(nicknameFrom('Ｋｉｍ')).toBe('Kim'); // full-width letters folded
    expect(nicknameFrom('Jo\u200bhn')).toBe('John'); // invisible characters dropped
    expect(nicknameFrom("  O'Brien!  ")).toBe('O_Brien');
    expect(nicknameFrom('a'.repeat(30))).toBe('a'.repeat(20));
    expect(nicknameFrom('A')).toBeNull();
    expect(nicknameFrom('...')).toBeNull();
    expect(nicknameFrom('Алекс Smith')).toBeNull(); // Cyrillic and Latin mixed
  });

  it('falls back to the email’s local part, then to "user"', () => {
    expect(baseNickname({ name: 'Grace Hopper', email: 'g@example.com' })).toBe('Grace_Hopper');
    expect(baseNickname({ name: null, email: 'jane.doe+news@gmail.com' })).toBe('jane.doe_news');
    expect(baseNickname({ name: 'G', email: 'grace.h@example.com' })).toBe('grace.h');
    expect(baseNickname({ name: null, email: 'x@example.com' })).toBe('user');
  });

  it('gets a number when taken, within 20 characters, each candidate valid', () => {
    const base = nicknameCandidates('ada');
    expect(base.slice(0, 3)).toEqual(['ada', 'ada2', 'ada3']);
    expect(new Set(base).size).toBe(base.length);
    expect(nicknameCandidates('user12').slice(0, 2)).toEqual(['user12', 'user12_2']);
    const long = nicknameCandidates('b'.repeat(20));
    expect(long[1]).toBe(`${'b'.repeat(19)}2`);
    for (const nickname of [...base, ...long, ...nicknameCandidates('가'.repeat(20))]) {
      expect(nickname.length).toBeLessThanOrEqual(20);
      expect(validNickname(nickname)).toBe(nickname);
    }
  });
});

describe('the password hash of an account made through Firebase', () => {
  it('has the form of a real hash, so logIn checks it without failing, and no password matches', async () => {
    const hash = unusablePasswordHash();
    const real = await hashPassword('correct-horse-battery');
    // Same algorithm and parameters, another random salt and output each time.
    expect(hash.split('$').slice(0, 4)).toEqual(real.split('$').slice(0, 4));
    expect(unusablePasswordHash()).not.toBe(hash);
    for (const password of ['', 'correct-horse-battery', hash])
      expect(await argon2.verify(hash, password)).toBe(false);
  });
});
