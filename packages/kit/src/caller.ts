import { createHmac, timingSafeEqual } from 'node:crypto';
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

function mac(body: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/**
 * Signs the caller for one subgraph (`audience`): a header captured on its way to one subgraph
 * is refused by the others.
 */
export function signCaller(caller: Caller, secret: string, audience: string, now = Date.now()): string {
  const body = Buffer.from(JSON.stringify({ ...caller, aud: audience, exp: now + LIFETIME_MS })).toString(
    'base64url',
  );
  return `${body}.${mac(body, secret).toString('base64url')}`;
}

/** Subgraphs trust nobody: a missing, forged, stale or misaddressed header is UNAUTHENTICATED. */
export function verifyCaller(
  header: string | undefined,
  secret: string,
  audience: string,
  now = Date.now(),
): Caller {
  if (!header) throw unauthenticated('Missing gateway signature: call this service through the gateway');
  const [body, signature] = header.split('.');
  if (!body || !signature) throw unauthenticated('Malformed gateway signature');
  const expected = mac(body, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw unauthenticated('Invalid gateway signature');
  }
  const { exp, aud, ...caller } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Caller & {
    exp: number;
    aud: string;
  };
  if (typeof exp !== 'number' || exp < now) throw unauthenticated('Expired gateway signature');
  if (aud !== audience) throw unauthenticated(`Gateway signature is for ${aud}, not ${audience}`);
  return caller;
}
