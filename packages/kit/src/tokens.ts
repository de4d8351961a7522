import { SignJWT, jwtVerify, errors } from 'jose';
import type { Role } from './caller';
import { unauthenticated } from './errors';

export interface AccessClaims {
  userId: string;
  role: Role;
  sessionId: string;
}

const ISSUER = 'moim-social';
const key = (secret: string) => new TextEncoder().encode(secret);

/** Access tokens are short-lived JWTs issued by social and checked by the gateway. */
export async function signAccessToken(
  claims: AccessClaims,
  secret: string,
  ttlSeconds: number,
): Promise<string> {
  return new SignJWT({ role: claims.role, sid: claims.sessionId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(key(secret));
}

export async function verifyAccessToken(token: string, secret: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, key(secret), { issuer: ISSUER, algorithms: ['HS256'] });
    if (!payload.sub || (payload.role !== 'USER' && payload.role !== 'ADMIN'))
      throw unauthenticated('Invalid access token');
    return { userId: payload.sub, role: payload.role, sessionId: String(payload.sid) };
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw unauthenticated('Access token expired: refresh the session');
    throw unauthenticated('Invalid access token');
  }
}
