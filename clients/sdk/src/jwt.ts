const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * base64url to a string of byte values, by hand: Node's buffers are not there in browsers and React
 * Native, and atob only from Hermes 0.74. Non-ASCII bytes come out as Latin-1 characters, which
 * is harmless for reading the numeric claims.
 */
function decodeBase64Url(input: string): string | null {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const char of input.replace(/=+$/, '')) {
    const sextet = ALPHABET.indexOf(char === '+' ? '-' : char === '/' ? '_' : char);
    if (sextet < 0) return null;
    // At most 13 bits are pending: keep the low 16 so the shifts never overflow.
    value = ((value << 6) | sextet) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((value >> bits) & 0xff);
    }
  }
  return out;
}

/** A JWT's `iat` and `exp` (seconds), or null for anything that is not a JWT carrying both. */
export function tokenTimes(token: string): { iat: number; exp: number } | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  const json = decodeBase64Url(payload);
  if (json === null) return null;
  try {
    const claims: unknown = JSON.parse(json);
    if (typeof claims !== 'object' || claims === null) return null;
    const { iat, exp } = claims as { iat?: unknown; exp?: unknown };
    return typeof iat === 'number' && typeof exp === 'number' ? { iat, exp } : null;
  } catch {
    return null;
  }
}
