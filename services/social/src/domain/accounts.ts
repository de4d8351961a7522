import { GraphQLError } from 'graphql';
import {
  badInput,
  isUniqueViolation,
  lockRows,
  newId,
  parseId,
  recordEvent,
  unauthenticated,
  type Caller,
  type RateLimit,
  rateLimitKeyOfIp,
} from '@moim/kit';
import type { EntityManager } from 'typeorm';
import { UserEntity, type User } from '../entities';
import type { SocialDeps } from './context';
import { replaceImages } from '@moim/media-refs';
import { decoyHash, hashPassword, verifyPassword } from './passwords';
import { announceUsers } from './searchable';
import { startSession, type AuthPayload } from './sessions';
import {
  emailKey,
  loginEmail,
  nicknameKey,
  validBio,
  validEmail,
  validNickname,
  validPassword,
} from './validation';

/** Login attempts per account (a success clears the count) and per client address, per 15 minutes. */
export const LOGIN_ATTEMPTS_PER_ACCOUNT: RateLimit = { name: 'login:account', max: 5, windowSeconds: 900 };
export const LOGINS_PER_IP: RateLimit = { name: 'login:ip', max: 30, windowSeconds: 900 };
/**
 * Sign-ups per client address an hour, counted whatever the answer: each one costs a password
 * hash, and "this email already exists" answers are lookups of who has an account, which this
 * makes cost as much as sign-ups (docs/decisions/0006). Room for a campus or office behind one
 * address signing up together, not for a script.
 */
export const SIGN_UPS_PER_IP: RateLimit = { name: 'sign-up:ip', max: 20, windowSeconds: 3600 };

export async function signUp(
  deps: SocialDeps,
  caller: Caller,
  input: { email: string; password: string; nickname: string },
): Promise<AuthPayload> {
  // Malformed input is refused first and costs nothing: it reveals nothing and hashes nothing.
  const email = validEmail(input.email);
  const password = validPassword(input.password, email);
  const nickname = validNickname(input.nickname);
  const keys = { emailKey: emailKey(email), nicknameKey: nicknameKey(nickname) };
  await deps.rateLimiter.hit(SIGN_UPS_PER_IP, rateLimitKeyOfIp(caller.ip));
  const users = deps.db.dataSource.getRepository(UserEntity);
  if (await users.existsBy({ emailKey: keys.emailKey }))
    throw badInput('An account with this email already exists', 'email');
  if (await users.existsBy({ nicknameKey: keys.nicknameKey }))
    throw badInput('This nickname is taken', 'nickname');
  const now = new Date();
  const user: User = {
    id: newId(),
    email,
    emailKey: keys.emailKey,
    passwordHash: await hashPassword(password),
    nickname,
    nicknameKey: keys.nicknameKey,
    bio: null,
    role: 'USER',
    phone: null,
    phoneVerifiedAt: null,
    firebaseUid: null,
    avatarId: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    return await deps.db.transaction(async (manager) => {
      await manager.insert(UserEntity, user);
      await recordEvent(manager, 'user.created', { userId: user.id });
      await announceUsers(manager, [user]);
      return startSession(deps, manager, user);
    });
  } catch (err) {
    // Two sign-ups racing for one email or nickname: the unique index decides.
    if (!isUniqueViolation(err)) throw err;
    if (await users.existsBy({ emailKey: user.emailKey }))
      throw badInput('An account with this email already exists', 'email');
    throw badInput('This nickname is taken', 'nickname');
  }
}

export async function logIn(
  deps: SocialDeps,
  caller: Caller,
  input: { email: string; password: string },
): Promise<AuthPayload> {
  await deps.rateLimiter.hit(LOGINS_PER_IP, rateLimitKeyOfIp(caller.ip));
  const email = loginEmail(input.email);
  const user = await deps.db.dataSource.getRepository(UserEntity).findOneBy({ emailKey: emailKey(email) });
  // Counted per account (every spelling of an email, known or not, finds one counter) when the
  // check has its turn and before the password is compared, so neither spelling variants nor
  // parallel guesses get extra tries, and a check the busy server refused is not counted.
  const account = user?.id ?? emailKey(email);
  const ok = await verifyPassword(user?.passwordHash ?? (await decoyHash()), input.password, () =>
    deps.rateLimiter.hit(LOGIN_ATTEMPTS_PER_ACCOUNT, account),
  );
  if (!user || !ok) {
    // No email or other personal data in logs: the account id when there is an account.
    deps.logger.info(user ? { userId: user.id } : { account: 'unknown' }, 'login failed');
    throw unauthenticated('Email or password is incorrect');
  }
  await deps.rateLimiter.reset(LOGIN_ATTEMPTS_PER_ACCOUNT, account);
  return deps.db.transaction((manager) => startSession(deps, manager, user));
}

/** The subject media knows a user's picture by. */
export const avatarSubject = (userId: string) => `avatar:${userId}`;

export async function updateProfile(
  deps: SocialDeps,
  userId: string,
  input: { nickname?: string | null; bio?: string | null; avatarId?: string | null },
): Promise<User> {
  const changes: Partial<User> = { updatedAt: new Date() };
  if (input.nickname != null) {
    changes.nickname = validNickname(input.nickname);
    changes.nicknameKey = nicknameKey(changes.nickname);
  }
  if (input.bio != null) changes.bio = validBio(input.bio);
  // Absent leaves the picture, null clears it.
  const avatarId =
    input.avatarId === undefined ? undefined : input.avatarId && parseId(input.avatarId, 'avatarId');
  const users = deps.db.dataSource.getRepository(UserEntity);
  if (changes.nicknameKey) {
    const holder = await users.findOneBy({ nicknameKey: changes.nicknameKey });
    if (holder && holder.id !== userId) throw badInput('This nickname is taken', 'nickname');
  }
  try {
    return await deps.db.transaction(async (manager) => {
      if (avatarId !== undefined) {
        // Changes of one user's picture take turns: each lets go of the one it replaces.
        await lockRows(manager, UserEntity, { id: userId });
        const user = await manager.findOneByOrFail(UserEntity, { id: userId });
        if (user.avatarId !== avatarId) {
          await replaceImages(manager, {
            subject: avatarSubject(userId),
            uploaderId: userId,
            purpose: 'AVATAR',
            noun: 'a profile picture',
            current: user.avatarId ? [user.avatarId] : [],
            wanted: avatarId ? [avatarId] : [],
          }).catch((err: unknown) => {
            throw asAvatarError(err);
          });
          changes.avatarId = avatarId;
        }
      }
      await manager.update(UserEntity, { id: userId }, changes);
      const user = await manager.findOneByOrFail(UserEntity, { id: userId });
      if (changes.nickname !== undefined || changes.bio !== undefined) await announceUsers(manager, [user]);
      return user;
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    if (changes.nicknameKey && (await users.existsBy({ nicknameKey: changes.nicknameKey })))
      throw badInput('This nickname is taken', 'nickname');
    throw badInput('This picture is in use already (an upload is attached once)', 'avatarId');
  }
}

/** replaceImages speaks of `imageIds`; here the field is `avatarId`. */
function asAvatarError(err: unknown): unknown {
  if (!(err instanceof GraphQLError) || err.extensions.field !== 'imageIds') return err;
  return badInput(err.message, 'avatarId');
}

export interface NewAccount {
  email: string;
  nickname: string;
  role: User['role'];
  passwordHash: string;
}

/**
 * Creates accounts in the caller's transaction, as sign-up would (validated, with the
 * user.created events other services learn them from), for imports such as the demo data.
 */
export async function insertAccounts(manager: EntityManager, accounts: NewAccount[]): Promise<User[]> {
  const now = new Date();
  const users = accounts.map((a): User => {
    const email = validEmail(a.email);
    const nickname = validNickname(a.nickname);
    return {
      id: newId(),
      email,
      emailKey: emailKey(email),
      passwordHash: a.passwordHash,
      nickname,
      nicknameKey: nicknameKey(nickname),
      bio: null,
      role: a.role,
      phone: null,
      phoneVerifiedAt: null,
      firebaseUid: null,
      avatarId: null,
      createdAt: now,
      updatedAt: now,
    };
  });
  await manager.insert(UserEntity, users);
  for (const user of users) await recordEvent(manager, 'user.created', { userId: user.id });
  await announceUsers(manager, users);
  return users;
}
