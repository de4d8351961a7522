import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { newId, signAccessToken, unauthenticated, badInput } from '@moim/kit';
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

async function issueRefreshToken(
  manager: EntityManager,
  sessionId: string,
  ttlDays: number,
): Promise<string> {
  const id = newId();
  const secret = randomBytes(32).toString('base64url');
  const now = new Date();
  await manager.insert(RefreshTokenEntity, {
    id,
    sessionId,
    secretHash: sha256(secret),
    createdAt: now,
    expiresAt: new Date(now.getTime() + ttlDays * 86_400_000),
    usedAt: null,
  });
  return `${id}.${secret}`;
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
  });
  const refreshToken = await issueRefreshToken(manager, sessionId, deps.config.REFRESH_TOKEN_TTL_DAYS);
  return payload(deps, user, sessionId, refreshToken);
}

/**
 * Rotation with reuse detection: each refresh token works once. Presenting one that was already
 * rotated means it leaked (or a client replayed it), so the whole family is revoked and both
 * the thief and the owner must log in again.
 */
export async function refreshSession(
  deps: SocialDeps,
  token: string,
  loadUser: (id: string) => Promise<User | null>,
): Promise<AuthPayload> {
  const { id, secret } = parseRefreshToken(token);
  const outcome = await deps.db.transaction(async (manager) => {
    const row = await manager.findOneBy(RefreshTokenEntity, { id });
    if (!row || !timingSafeEqual(Buffer.from(row.secretHash), Buffer.from(sha256(secret))))
      return { error: 'Invalid refresh token' } as const;
    const session = await manager.findOneByOrFail(SessionEntity, { id: row.sessionId });
    if (session.revokedAt) return { error: 'Session has been revoked: log in again' } as const;
    // Claim the token: of two refreshes racing with one token, only one flips used_at from NULL.
    const claimed = await manager
      .createQueryBuilder()
      .update(RefreshTokenEntity)
      .set({ usedAt: new Date() })
      .where('id = :id AND used_at IS NULL', { id })
      .execute();
    if (!claimed.affected) {
      await manager.update(
        SessionEntity,
        { id: session.id },
        { revokedAt: new Date(), revokedReason: 'reuse' },
      );
      deps.logger.warn(
        { sessionId: session.id, userId: session.userId },
        'refresh token reused: session revoked',
      );
      return { error: 'Refresh token was already used: session revoked, log in again' } as const;
    }
    if (row.expiresAt < new Date()) return { error: 'Refresh token expired: log in again' } as const;
    return {
      sessionId: session.id,
      userId: session.userId,
      next: await issueRefreshToken(manager, session.id, deps.config.REFRESH_TOKEN_TTL_DAYS),
    };
  });
  // The revocation above must commit before the caller hears about it, hence no throw inside.
  if ('error' in outcome) throw unauthenticated(outcome.error);
  const user = await loadUser(outcome.userId);
  if (!user) throw unauthenticated('Account no longer exists');
  return payload(deps, user, outcome.sessionId, outcome.next);
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
