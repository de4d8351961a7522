import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { unauthenticated } from './errors';

export type Role = 'USER' | 'ADMIN';

/** Who is calling, as the gateway established it. `userId` is null for anonymous requests. */
export interface Caller {
  userId: string | null;
  role: Role | null;
  ip: string | null;
  requestId: string;
}

export const CALLER_HEADER = 'x-moim-caller';
export const REQUEST_ID_HEADER = 'x-request-id';

/** A signed header is only good briefly, so a captured one cannot be replayed for long. */
const LIFETIME_MS = 60_000;

/**
 * The internal secret as an HMAC key, imported once: signing and verifying happen on every
 * subgraph request, and a KeyObject spares each of them turning the secret into a key again.
 */
export function callerKey(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

const keyOf = (key: KeyObject | string) => (typeof key === 'string' ? callerKey(key) : key);

/**
 * The MAC covers the claims and the exact body bytes the header travels with, so a header
 * captured on one request cannot authorise another operation, even within its lifetime. One pass
 * over the body (claims are base64url, so the '.' after them cannot be forged into them).
 */
function mac(claims: string, body: string | Uint8Array, key: KeyObject): Buffer {
  return createHmac('sha256', key).update(claims).update('.').update(body).digest();
}

/**
 * The MAC of the release before (an HMAC over the claims and a SHA-256 of the body), still
 * accepted so a rolling deploy's old gateways and new subgraphs (or the reverse) keep talking.
 * Remove in the release after.
 */
function previousMac(claims: string, body: string | Uint8Array, key: KeyObject): Buffer {
  const bodyHash = createHash('sha256').update(body).digest();
  return createHmac('sha256', key).update(claims).update('.').update(bodyHash).digest();
}

const macMatches = (given: Buffer, expected: Buffer) =>
  given.length === expected.length && timingSafeEqual(given, expected);

/**
 * The unsigned half of the header: who calls, for which subgraph (`audience`, so a header
 * captured on its way to one subgraph is refused by the others) and until when. The gateway
 * makes it before it knows the body, then seals it with `sealCaller` once the body is final.
 */
export function callerClaims(caller: Caller, audience: string, now = Date.now()): string {
  return Buffer.from(JSON.stringify({ ...caller, aud: audience, exp: now + LIFETIME_MS })).toString(
    'base64url',
  );
}

/** The header for `claims` travelling with exactly `body` (a string is sent as UTF-8). */
export function sealCaller(claims: string, key: KeyObject | string, body: string | Uint8Array): string {
  return `${claims}.${mac(claims, body, keyOf(key)).toString('base64url')}`;
}

/** Signs the caller for one subgraph and one request body. */
export function signCaller(
  caller: Caller,
  key: KeyObject | string,
  audience: string,
  body: string | Uint8Array,
  now = Date.now(),
): string {
  return sealCaller(callerClaims(caller, audience, now), key, body);
}

/**
 * Subgraphs trust nobody: a missing, forged, stale or misaddressed header, or one signed for
 * another body than `body` (the bytes received), is UNAUTHENTICATED.
 */
export function verifyCaller(
  /** The header as Node gives it (a repeated header, an array, is refused as malformed). */
  header: string | string[] | undefined,
  key: KeyObject | string,
  audience: string,
  body: string | Uint8Array,
  now = Date.now(),
): Caller {
  if (!header) throw unauthenticated('Missing gateway signature: call this service through the gateway');
  if (typeof header !== 'string') throw unauthenticated('Malformed gateway signature');
  const [claims, signature, extra] = header.split('.');
  if (!claims || !signature || extra !== undefined) throw unauthenticated('Malformed gateway signature');
  const given = Buffer.from(signature, 'base64url');
  const secret = keyOf(key);
  if (
    !macMatches(given, mac(claims, body, secret)) &&
    !macMatches(given, previousMac(claims, body, secret))
  ) {
    throw unauthenticated('Invalid gateway signature (forged, or signed for another request body)');
  }
  const { exp, aud, ...caller } = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Caller & {
    exp: number;
    aud: string;
  };
  if (typeof exp !== 'number' || exp < now) throw unauthenticated('Expired gateway signature');
  if (aud !== audience) throw unauthenticated(`Gateway signature is for ${aud}, not ${audience}`);
  return caller;
}
