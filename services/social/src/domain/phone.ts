import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { IsNull } from 'typeorm';
import { badInput, isUniqueViolation, newId, type RateLimit, rateLimitKeyOfIp } from '@moim/kit';
import { PhoneCodeEntity, UserEntity, type User } from '../entities';
import type { SocialDeps } from './context';
import { validPhone } from './validation';

const CODE_TTL_MS = 5 * 60_000;
export const MAX_CODE_ATTEMPTS = 5;
/**
 * SMS costs money and can be used to harass: one code a minute per account and number, five an
 * hour per number whoever asks, ten an hour per account.
 */
export const CODES_PER_USER_AND_PHONE: RateLimit = {
  name: 'phone-code:user-phone',
  max: 1,
  windowSeconds: 60,
};
export const CODES_PER_PHONE: RateLimit = { name: 'phone-code:phone', max: 5, windowSeconds: 3600 };
export const CODES_PER_USER: RateLimit = { name: 'phone-code:user', max: 10, windowSeconds: 3600 };
/**
 * Accounts are free, so a limit per account alone would let one client send ten codes an hour per
 * account it makes: per client address, codes are capped like sign-ups (SIGN_UPS_PER_IP).
 */
export const CODES_PER_IP: RateLimit = { name: 'phone-code:ip', max: 20, windowSeconds: 3600 };

/**
 * Six digits are guessable offline from a plain hash, so the hash is keyed, with a key derived
 * for this purpose only.
 */
function hashCode(secret: string, phone: string, code: string): string {
  const key = createHmac('sha256', secret).update('moim:phone-codes').digest();
  return createHmac('sha256', key).update(`${phone}:${code}`).digest('hex');
}

async function assertPhoneFree(deps: SocialDeps, userId: string, phone: string) {
  const holder = await deps.db.dataSource.getRepository(UserEntity).findOneBy({ phone });
  if (holder && holder.id !== userId)
    throw badInput('This phone number is verified on another account', 'phone');
}

export async function requestPhoneCode(
  deps: SocialDeps,
  { userId, ip }: { userId: string; ip: string | null },
  rawPhone: string,
): Promise<{ expiresAt: Date }> {
  const phone = validPhone(rawPhone);
  // Limits first: otherwise the "verified on another account" answer is a free lookup of numbers.
  await deps.rateLimiter.hit(CODES_PER_IP, rateLimitKeyOfIp(ip));
  await deps.rateLimiter.hit(CODES_PER_USER_AND_PHONE, `${userId}:${phone}`);
  await deps.rateLimiter.hit(CODES_PER_USER, userId);
  await deps.rateLimiter.hit(CODES_PER_PHONE, phone);
  await assertPhoneFree(deps, userId, phone);
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  const now = new Date();
  const expiresAt = new Date(now.getTime() + CODE_TTL_MS);
  await deps.db.transaction(async (manager) => {
    // A new code replaces any earlier one for the same number.
    await manager.update(PhoneCodeEntity, { userId, phone, consumedAt: IsNull() }, { consumedAt: now });
    await manager.insert(PhoneCodeEntity, {
      id: newId(),
      userId,
      phone,
      codeHash: hashCode(deps.config.INTERNAL_SECRET, phone, code),
      attempts: 0,
      createdAt: now,
      expiresAt,
      consumedAt: null,
    });
  });
  await deps.sms.send(phone, `[Moim] 인증번호 ${code} (5분 안에 입력해 주세요)`);
  return { expiresAt };
}

export async function verifyPhone(
  deps: SocialDeps,
  userId: string,
  rawPhone: string,
  code: string,
): Promise<User> {
  const phone = validPhone(rawPhone);
  if (!/^\d{6}$/.test(code)) throw badInput('code must be 6 digits', 'code');
  const codes = deps.db.dataSource.getRepository(PhoneCodeEntity);
  const pending = await codes.findOne({
    where: { userId, phone, consumedAt: IsNull() },
    order: { createdAt: 'DESC' },
  });
  if (!pending) throw badInput('No code was requested for this phone: request one first', 'code');
  if (pending.expiresAt < new Date()) throw badInput('The code has expired: request a new one', 'code');
  // Spend an attempt before comparing: of parallel guesses, only MAX_CODE_ATTEMPTS get compared.
  const spent = await codes
    .createQueryBuilder()
    .update()
    .set({ attempts: () => 'attempts + 1' })
    .where('id = :id AND attempts < :max AND consumed_at IS NULL', { id: pending.id, max: MAX_CODE_ATTEMPTS })
    .execute();
  if (!spent.affected) throw badInput('Too many wrong codes: request a new one', 'code');
  if (
    !timingSafeEqual(
      Buffer.from(pending.codeHash),
      Buffer.from(hashCode(deps.config.INTERNAL_SECRET, phone, code)),
    )
  ) {
    const { attempts } = await codes.findOneByOrFail({ id: pending.id });
    const left = MAX_CODE_ATTEMPTS - attempts;
    throw badInput(left > 0 ? `Wrong code: ${left} attempts left` : 'Wrong code: request a new one', 'code');
  }
  await assertPhoneFree(deps, userId, phone);
  try {
    await deps.db.transaction(async (manager) => {
      await manager.update(PhoneCodeEntity, { id: pending.id }, { consumedAt: new Date() });
      await manager.update(
        UserEntity,
        { id: userId },
        { phone, phoneVerifiedAt: new Date(), updatedAt: new Date() },
      );
    });
  } catch (err) {
    // Another account verified the same number a moment ago.
    if (isUniqueViolation(err)) throw badInput('This phone number is verified on another account', 'phone');
    throw err;
  }
  return deps.db.dataSource.getRepository(UserEntity).findOneByOrFail({ id: userId });
}
