import { In } from 'typeorm';
import { isUniqueViolation, lockRows, notFound } from '@moim/kit';
import { DeviceEntity, UserEntity, type DevicePlatform } from '../entities';
import type { SocialDeps } from './context';
import { requiredText } from './targets';

/** Devices kept per user: registering one more drops the least recently registered. */
export const MAX_DEVICES_PER_USER = 20;
export const MAX_TOKEN_LENGTH = 512;

const validToken = (value: string) => requiredText(value, 'token', MAX_TOKEN_LENGTH);

/**
 * Registers a push token for the caller, or refreshes it. A token is one device: registered by
 * another account (someone else signed in on it), it moves to the caller.
 */
export async function registerDevice(
  deps: SocialDeps,
  userId: string,
  rawToken: string,
  platform: DevicePlatform,
): Promise<void> {
  const token = validToken(rawToken);
  await deps.db.transaction(async (manager) => {
    // One registration per user at a time, so the cap counts what is there.
    if (!(await lockRows(manager, UserEntity, { id: userId })))
      throw notFound('Your account no longer exists');
    const now = new Date();
    const moved = await manager.update(DeviceEntity, { token }, { userId, platform, updatedAt: now });
    if (!moved.affected)
      try {
        await manager.insert(DeviceEntity, { token, userId, platform, createdAt: now, updatedAt: now });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        // Registered by a parallel request (perhaps another account's) just now: it is ours now.
        await manager.update(DeviceEntity, { token }, { userId, platform, updatedAt: now });
      }
    // At most one over the cap: every registration trims.
    const beyond = (
      await manager.find(DeviceEntity, {
        select: { token: true },
        where: { userId },
        order: { updatedAt: 'DESC', createdAt: 'DESC', token: 'ASC' },
      })
    ).slice(MAX_DEVICES_PER_USER);
    if (beyond.length) await manager.delete(DeviceEntity, { token: In(beyond.map((d) => d.token)) });
  });
}

/** Removes the caller's own token; someone else's, or an unknown one, is left alone. Idempotent. */
export async function unregisterDevice(deps: SocialDeps, userId: string, rawToken: string): Promise<void> {
  const token = validToken(rawToken);
  await deps.db.transaction((manager) => manager.delete(DeviceEntity, { token, userId }));
}
