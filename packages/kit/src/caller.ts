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

export function signCaller(caller: Caller, secret: string, now = Date.now()): string {
  const body = Buffer.from(JSON.stringify({ ...caller, exp: now + LIFETIME_MS })).toString('base64url');
  return `${body}.${mac(body, secret).toString('base64url')}`;
}

/** Subgraphs trust nobody: a missing, forged or stale header is UNAUTHENTICATED. */
export function verifyCaller(header: string | undefined, secret: string, now = Date.now()): Caller {
  if (!header) throw unauthenticated('Missing gateway signature: call this service through the gateway');
  const [body, signature] = header.split('.');
  if (!body || !signature) throw unauthenticated('Malformed gateway signature');
  const expected = mac(body, secret);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw unauthenticated('Invalid gateway signature');
  }
  const { exp, ...caller } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Caller & {
    exp: number;
  };
  if (typeof exp !== 'number' || exp < now) throw unauthenticated('Expired gateway signature');
  return caller;
}
