import { describe, expect, it } from 'vitest';
import { tokenTimes } from './jwt';

// The hand-written base64url decoder against Node's: every shape a JWT's payload takes.

const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
const token = (payload: string) => `${header}.${payload}.c2lnbmF0dXJl`;
const encoded = (claims: object, encoding: 'base64' | 'base64url') =>
  Buffer.from(JSON.stringify(claims)).toString(encoding);

describe('tokenTimes', () => {
  it('reads iat and exp from a base64url payload, whichever its length modulo 4', () => {
    for (const pad of ['', 'x', 'xx', 'xxx']) {
      const payload = encoded({ iat: 1_700_000_000, exp: 1_700_000_900, pad }, 'base64url');
      expect(tokenTimes(token(payload))).toEqual({ iat: 1_700_000_000, exp: 1_700_000_900 });
    }
  });

  it("takes base64url's - and _ and plain base64's + and /, with or without = padding", () => {
    const claims = { iat: 10, exp: 20, x: '???>>>' }; // encodes to /, + and = (_ and - in base64url)
    const url = encoded(claims, 'base64url');
    const plain = encoded(claims, 'base64');
    for (const char of ['-', '_']) expect(url).toContain(char);
    for (const char of ['+', '/', '=']) expect(plain).toContain(char);
    expect(tokenTimes(token(url))).toEqual({ iat: 10, exp: 20 });
    expect(tokenTimes(token(plain))).toEqual({ iat: 10, exp: 20 });
    expect(tokenTimes(token(plain.replace(/=+$/, '')))).toEqual({ iat: 10, exp: 20 });
  });

  it('reads the times beside UTF-8 claims', () => {
    const payload = encoded({ name: 'Zoë 김민준 😀', iat: 5, exp: 905 }, 'base64url');
    expect(tokenTimes(token(payload))).toEqual({ iat: 5, exp: 905 });
  });

  it('is null for anything that is not a JWT carrying both times', () => {
    expect(tokenTimes('opaque-access-token')).toBeNull();
    expect(tokenTimes('')).toBeNull();
    expect(tokenTimes(token('not*base64!'))).toBeNull();
    expect(tokenTimes(token(Buffer.from('not json').toString('base64url')))).toBeNull();
    expect(tokenTimes(token(encoded([1, 2], 'base64url')))).toBeNull();
    expect(tokenTimes(token(Buffer.from('null').toString('base64url')))).toBeNull();
    expect(tokenTimes(token(encoded({ iat: '5', exp: 905 }, 'base64url')))).toBeNull();
    expect(tokenTimes(token(encoded({ exp: 905 }, 'base64url')))).toBeNull();
  });
});
