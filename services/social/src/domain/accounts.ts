import {
  badInput,
  isUniqueViolation,
  newId,
  recordEvent,
  unauthenticated,
  type Caller,
  type RateLimit,
} from '@moim/kit';
import { UserEntity, type User } from '../entities';
import type { SocialDeps } from './context';
import { decoyHash, hashPassword, verifyPassword } from './passwords';
import { startSession, type AuthPayload } from './sessions';
import { validBio, validEmail, validNickname, validPassword } from './validation';

/** Login attempts per account (a success clears the count) and per client address, per 15 minutes. */
export const LOGIN_ATTEMPTS_PER_ACCOUNT: RateLimit = { name: 'login:account', max: 5, windowSeconds: 900 };
export const LOGINS_PER_IP: RateLimit = { name: 'login:ip', max: 30, windowSeconds: 900 };

export async function signUp(
  deps: SocialDeps,
  input: { email: string; password: string; nickname: string },
): Promise<AuthPayload> {
  const email = validEmail(input.email);
  const password = validPassword(input.password);
  const nickname = validNickname(input.nickname);
  const users = deps.db.dataSource.getRepository(UserEntity);
  if (await users.existsBy({ email })) throw badInput('An account with this email already exists', 'email');
  if (await users.existsBy({ nickname })) throw badInput('This nickname is taken', 'nickname');
  const now = new Date();
  const user: User = {
    id: newId(),
    email,
    passwordHash: await hashPassword(password),
    nickname,
    bio: null,
    role: 'USER',
    phone: null,
    phoneVerifiedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    const session = await deps.db.dataSource.transaction(async (manager) => {
      await manager.insert(UserEntity, user);
      await recordEvent(manager, 'user.created', { userId: user.id });
      return startSession(deps, manager, user);
    });
    deps.relay.wake();
    return session;
  } catch (err) {
    // Two sign-ups racing for one email or nickname: the unique index decides.
    if (isUniqueViolation(err))
      throw badInput('An account with this email or nickname already exists', 'email');
    throw err;
  }
}

export async function logIn(
  deps: SocialDeps,
  caller: Caller,
  input: { email: string; password: string },
): Promise<AuthPayload> {
  await deps.rateLimiter.hit(LOGINS_PER_IP, caller.ip ?? 'unknown');
  const email = validEmail(input.email);
  const user = await deps.db.dataSource.getRepository(UserEntity).findOneBy({ email });
  // Counted per account (the database may match several spellings of one email) and before the
  // password is checked, so neither spelling variants nor parallel guesses get extra tries.
  const account = user?.id ?? email;
  await deps.rateLimiter.hit(LOGIN_ATTEMPTS_PER_ACCOUNT, account);
  const ok = await verifyPassword(user?.passwordHash ?? (await decoyHash()), input.password);
  if (!user || !ok) {
    deps.logger.info({ email }, 'login failed');
    throw unauthenticated('Email or password is incorrect');
  }
  await deps.rateLimiter.reset(LOGIN_ATTEMPTS_PER_ACCOUNT, account);
  return deps.db.dataSource.transaction((manager) => startSession(deps, manager, user));
}

export async function updateProfile(
  deps: SocialDeps,
  userId: string,
  input: { nickname?: string | null; bio?: string | null },
): Promise<User> {
  const changes: Partial<User> = { updatedAt: new Date() };
  if (input.nickname != null) changes.nickname = validNickname(input.nickname);
  if (input.bio != null) changes.bio = validBio(input.bio);
  const users = deps.db.dataSource.getRepository(UserEntity);
  if (changes.nickname) {
    const holder = await users.findOneBy({ nickname: changes.nickname });
    if (holder && holder.id !== userId) throw badInput('This nickname is taken', 'nickname');
  }
  try {
    await users.update({ id: userId }, changes);
  } catch (err) {
    if (isUniqueViolation(err)) throw badInput('This nickname is taken', 'nickname');
    throw err;
  }
  return users.findOneByOrFail({ id: userId });
}
