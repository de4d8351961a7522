import { EntitySchema } from 'typeorm';

/** A login: the family of refresh tokens that rotate from one another. */
export interface Session {
  id: string;
  userId: string;
  createdAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  /**
   * The session's own random key that refresh-token successors are derived with (null for
   * sessions begun before it existed: given one at their next refresh). Only this database has it.
   */
  rotationKey: string | null;
}

export const SessionEntity = new EntitySchema<Session>({
  name: 'Session',
  tableName: 'sessions',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    userId: { name: 'user_id', type: 'varchar', length: 36 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    revokedAt: { name: 'revoked_at', type: 'datetime', precision: 3, nullable: true },
    revokedReason: { name: 'revoked_reason', type: 'varchar', length: 20, nullable: true },
    rotationKey: { name: 'rotation_key', type: 'varchar', length: 64, nullable: true },
  },
});

/**
 * One refresh token; only a hash of its secret is kept. `usedAt` set = rotated away, at that
 * moment, to the token `replacedBy` (null for tokens rotated before grace windows existed).
 */
export interface RefreshToken {
  id: string;
  sessionId: string;
  secretHash: string;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
  replacedBy: string | null;
}

export const RefreshTokenEntity = new EntitySchema<RefreshToken>({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    sessionId: { name: 'session_id', type: 'varchar', length: 36 },
    secretHash: { name: 'secret_hash', type: 'varchar', length: 64 },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    expiresAt: { name: 'expires_at', type: 'datetime', precision: 3 },
    usedAt: { name: 'used_at', type: 'datetime', precision: 3, nullable: true },
    replacedBy: { name: 'replaced_by', type: 'varchar', length: 36, nullable: true },
  },
});
