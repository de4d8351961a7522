import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { newId, signAccessToken, unauthenticated, badInput, lockRows } from '@moim/kit';
import { RefreshTokenEntity, SessionEntity, type User } from '../entities';
import type { SocialDeps } from './context';

export interface AuthPayload {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  user: User;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Refresh tokens read "<token id>.<secret>": the id finds the row, the secret proves possession. */
function parseRefreshToken(token: string): { id: string; secret: string } {
  const [id, secret, extra] = token.split('.');
  if (!id || !secret || extra !== undefined || id.length !== 36)
    throw badInput('refreshToken is malformed', 'refreshToken');
  return { id, secret };
}

/**
 * The token that replaces `id.secret` when it is rotated, derived rather than drawn at random, so
 * a retry within the grace window gets the same one back while the database keeps only hashes.
 * Keyed by the session's own random key, which only social's database holds, over the old id and
 * secret: only the holder of the old token (and social) can compute it, one step at a time. The
 * id has the UUID layout (version 8: custom).
 */
export function successorOf(sessionKey: string, id: string, secret: string): { id: string; secret: string } {
  const derive = (purpose: string) =>
    createHmac('sha256', Buffer.from(sessionKey, 'base64url')).update(`${purpose}:${id}.${secret}`).digest();
  const bytes = derive('id').subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return {
    id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
    secret: derive('secret').toString('base64url'),
  };
}

const newSessionKey = () => randomBytes(32).toString('base64url');

async function issueRefreshToken(
  manager: EntityManager,
  sessionId: string,
  ttlDays: number,
  token = { id: newId(), secret: randomBytes(32).toString('base64url') },
): Promise<string> {
  const now = new Date();
  await manager.insert(RefreshTokenEntity, {
    id: token.id,
    sessionId,
    secretHash: sha256(token.secret),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlDays * 86_400_000),
    usedAt: null,
    replacedBy: null,
  });
  return `${token.id}.${token.secret}`;
}

async function payload(
  deps: SocialDeps,
  user: User,
  sessionId: string,
  refreshToken: string,
): Promise<AuthPayload> {
  const ttl = deps.config.ACCESS_TOKEN_TTL_SECONDS;
  const accessToken = await signAccessToken(
    { userId: user.id, role: user.role, sessionId },
    deps.config.JWT_SECRET,
    ttl,
  );
  return { accessToken, accessTokenExpiresAt: new Date(Date.now() + ttl * 1000), refreshToken, user };
}

/** Starts a new session family for a user who just proved who they are. */
export async function startSession(
  deps: SocialDeps,
  manager: EntityManager,
  user: User,
): Promise<AuthPayload> {
  const sessionId = newId();
  await manager.insert(SessionEntity, {
    id: sessionId,
    userId: user.id,
    createdAt: new Date(),
    revokedAt: null,
    revokedReason: null,
    rotationKey: newSessionKey(),
  });
  const refreshToken = await issueRefreshToken(manager, sessionId, deps.config.REFRESH_TOKEN_TTL_DAYS);
  return payload(deps, user, sessionId, refreshToken);
}

/**
 * Rotation with reuse detection: each refresh token works once. Presenting one that was already
 * rotated means it leaked (or a client replayed it), so the whole family is revoked and both
 * the thief and the owner must log in again — except within the grace window
 * (REFRESH_GRACE_SECONDS) while its successor is still unused: then it is a client retrying, in
 * parallel or after a lost answer, and it gets that same successor (and a fresh access token).
 */
export async function refreshSession(
  deps: SocialDeps,
  token: string,
  loadUser: (id: string) => Promise<User | null>,
): Promise<AuthPayload> {
  const { id, secret } = parseRefreshToken(token);
  const outcome = await deps.db.transaction(async (manager) => {
    // Refreshes with one token take turns, each seeing what the one before it committed.
    await lockRows(manager, RefreshTokenEntity, { id });
    const row = await manager.findOneBy(RefreshTokenEntity, { id });
    if (!row || !timingSafeEqual(Buffer.from(row.secretHash), Buffer.from(sha256(secret))))
      return { error: 'Invalid refresh token' } as const;
    const session = await manager.findOneByOrFail(SessionEntity, { id: row.sessionId });
    if (session.revokedAt) return { error: 'Session has been revoked: log in again' } as const;
    if (!session.rotationKey) {
      session.rotationKey = newSessionKey();
      await manager.update(SessionEntity, { id: session.id }, { rotationKey: session.rotationKey });
    }
    const successor = successorOf(session.rotationKey, id, secret);
    const now = new Date();
    if (row.usedAt) {
      if (await isRetry(manager, row, successor.id, now, deps.config.REFRESH_GRACE_SECONDS))
        return { sessionId: session.id, userId: session.userId, next: `${successor.id}.${successor.secret}` };
      await manager.update(SessionEntity, { id: session.id }, { revokedAt: now, revokedReason: 'reuse' });
      deps.logger.warn(
        { sessionId: session.id, userId: session.userId },
        'refresh token reused: session revoked',
      );
      return { error: 'Refresh token was already used: session revoked, log in again' } as const;
    }
    if (row.expiresAt < now) return { error: 'Refresh token expired: log in again' } as const;
    await manager.update(RefreshTokenEntity, { id }, { usedAt: now, replacedBy: successor.id });
    return {
      sessionId: session.id,
      userId: session.userId,
      next: await issueRefreshToken(manager, session.id, deps.config.REFRESH_TOKEN_TTL_DAYS, successor),
    };
  });
  // The revocation above must commit before the caller hears about it, hence no throw inside.
  if ('error' in outcome) throw unauthenticated(outcome.error);
  const user = await loadUser(outcome.userId);
  if (!user) throw unauthenticated('Account no longer exists');
  return payload(deps, user, outcome.sessionId, outcome.next);
}

/**
 * A rotated token presented again is a retry when it was rotated within the grace window, to the
 * successor this secret derives, and that successor
 * has not been used yet: once it has, the client has moved on and the old token is a replay.
 */
async function isRetry(
  manager: EntityManager,
  row: { usedAt: Date | null; replacedBy: string | null },
  successorId: string,
  now: Date,
  graceSeconds: number,
): Promise<boolean> {
  if (graceSeconds <= 0 || !row.usedAt || row.replacedBy !== successorId) return false;
  if (now.getTime() - row.usedAt.getTime() > graceSeconds * 1000) return false;
  const next = await manager.findOneBy(RefreshTokenEntity, { id: successorId });
  return next !== null && next.usedAt === null;
}

export async function revokeSession(deps: SocialDeps, token: string): Promise<void> {
  const { id, secret } = parseRefreshToken(token);
  const row = await deps.db.dataSource.getRepository(RefreshTokenEntity).findOneBy({ id });
  if (!row || !timingSafeEqual(Buffer.from(row.secretHash), Buffer.from(sha256(secret)))) return;
  await deps.db.dataSource
    .createQueryBuilder()
    .update(SessionEntity)
    .set({ revokedAt: new Date(), revokedReason: 'logout' })
    .where('id = :id AND revoked_at IS NULL', { id: row.sessionId })
    .execute();
}
