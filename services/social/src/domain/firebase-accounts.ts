import { randomBytes, randomInt } from 'node:crypto';
import { In } from 'typeorm';
import {
  badInput,
  forbidden,
  isUniqueViolation,
  newId,
  rateLimitKeyOfIp,
  recordEvent,
  type Caller,
} from '@moim/kit';
import { SessionEntity, UserEntity, type User } from '../entities';
import type { FirebaseIdentity } from '../firebase/verifier.port';
import { LOGINS_PER_IP, SIGN_UPS_PER_IP } from './accounts';
import type { SocialDeps } from './context';
import { announceUsers } from './searchable';
import { startSession, type AuthPayload } from './sessions';
import { emailKey, nicknameKey, validEmail, validNickname } from './validation';

/** Firebase ID tokens are about 1 KB (custom claims at most 1,000 bytes more): longer is not one. */
export const ID_TOKEN_MAX_LENGTH = 8192;

const NICKNAME_MAX = 20;

/**
 * The password hash of an account made through Firebase: an argon2id hash in the form
 * passwords.ts makes them (same parameters), of random output with a random salt. It hashes no
 * password anyone knows, so logIn answers "Email or password is incorrect" for it after the
 * same work as for any wrong password — and costs no hashing to make.
 */
export function unusablePasswordHash(): string {
  const b64 = (bytes: number) => randomBytes(bytes).toString('base64').replace(/=+$/, '');
  return `$argon2id$v=19$m=65536,p=4,t=3$${b64(16)}$${b64(32)}`;
}

/** A nickname if `value` is one by the sign-up rules (and its key fits), else null. */
function asNickname(value: string): string | null {
  try {
    const nickname = validNickname(value);
    nicknameKey(nickname);
    return nickname;
  } catch {
    return null;
  }
}

/** The longest prefix of `text`, whole code points, at most `max` UTF-16 units (what validNickname counts). */
function prefix(text: string, max: number): string {
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max) break;
    out += char;
  }
  return out;
}

/**
 * A display name or an email's local part as a nickname: compatibility forms folded (full-width
 * letters), invisible characters dropped, every run of anything but letters, digits, `_` and `.`
 * made one `_`, `_` and `.` trimmed from the ends, cut to 20. Null when that is still no nickname
 * (one character, letters of alphabets that look alike mixed).
 */
export function nicknameFrom(raw: string): string | null {
  const cleaned = raw
    .normalize('NFKC')
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .replace(/[^\p{L}\p{N}_.]+/gu, '_')
    .replace(/^[_.]+|[_.]+$/g, '')
    .normalize('NFC');
  return asNickname(prefix(cleaned, NICKNAME_MAX).replace(/[_.]+$/, ''));
}

/** The nickname to try first: from the display name, else the email's local part, else `user`. */
export function baseNickname(identity: Pick<FirebaseIdentity, 'name' | 'email'>): string {
  const local = identity.email ? identity.email.slice(0, identity.email.lastIndexOf('@')) : '';
  return (identity.name && nicknameFrom(identity.name)) || (local && nicknameFrom(local)) || 'user';
}

/**
 * Nicknames to try, in order: the base, then the base with a numeric suffix (2 to 9, then a few
 * random ones), the base cut short to make room (`_` before the number when the base ends in a
 * digit). Each is a valid nickname.
 */
export function nicknameCandidates(base: string): string[] {
  const suffixes = [
    '',
    ...Array.from({ length: 8 }, (_, i) => String(i + 2)),
    ...Array.from({ length: 6 }, () => String(randomInt(10, 100_000))),
  ];
  const out: string[] = [];
  for (const suffix of suffixes) {
    const separator = suffix && /\p{N}$/u.test(base) ? '_' : '';
    const stem = prefix(base, NICKNAME_MAX - separator.length - suffix.length).replace(/[_.]+$/, '');
    const nickname = asNickname(`${stem || 'user'}${separator}${suffix}`);
    if (nickname && !out.includes(nickname)) out.push(nickname);
  }
  return out;
}

/** The first candidate whose key nobody holds, in one query; null when all are taken. */
async function freeNickname(deps: SocialDeps, base: string): Promise<string | null> {
  const candidates = nicknameCandidates(base);
  const keys = candidates.map((n) => nicknameKey(n));
  const taken = new Set(
    (
      await deps.db.dataSource
        .getRepository(UserEntity)
        .find({ select: { nicknameKey: true }, where: { nicknameKey: In(keys) } })
    ).map((u) => u.nicknameKey),
  );
  return candidates.find((_, i) => !taken.has(keys[i]!)) ?? null;
}

/**
 * The token's email, when Firebase verified it: only a verified email may create an account or
 * link to one. The same answer whether or not an account has that email, so an unverified
 * token tells nothing about who has an account.
 */
function verifiedEmail(identity: FirebaseIdentity): { email: string; key: string } {
  if (!identity.email || !identity.emailVerified)
    throw badInput(
      'Firebase sign-in needs a verified email: verify your email with Firebase (or sign in with Google) first',
      'idToken',
    );
  try {
    const email = validEmail(identity.email);
    return { email, key: emailKey(email) };
  } catch {
    throw badInput("The Firebase account's email is not an address this server accepts", 'idToken');
  }
}

/** How often a sign-in that lost a race (another request linked or created the same account) starts over. */
const ATTEMPTS = 3;

/**
 * Signs in with a Firebase ID token and returns what logIn does. The account is the one linked
 * to the token's uid; failing that, the one with the token's email, when Firebase verified it
 * and that account is linked to no other Firebase account (it gets linked); failing that, a new
 * account with that email. Never a takeover: an unverified email neither links nor creates, and
 * an account linked to one Firebase uid is never given to another.
 */
export async function signInWithFirebase(
  deps: SocialDeps,
  caller: Caller,
  idToken: string,
): Promise<AuthPayload> {
  if (!deps.firebase) throw forbidden('Firebase sign-in is not enabled on this server');
  // Counted with logIn's attempts: one budget of sign-in attempts per client address.
  await deps.rateLimiter.hit(LOGINS_PER_IP, rateLimitKeyOfIp(caller.ip));
  if (!idToken.trim() || idToken.length > ID_TOKEN_MAX_LENGTH)
    throw badInput('idToken is not a Firebase ID token', 'idToken');
  const identity = await deps.firebase.verify(idToken);
  const users = deps.db.dataSource.getRepository(UserEntity);
  let countedSignUp = false;

  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const linked = await users.findOneBy({ firebaseUid: identity.uid });
    if (linked) return deps.db.transaction((manager) => startSession(deps, manager, linked));

    const { email, key } = verifiedEmail(identity);
    const existing = await users.findOneBy({ emailKey: key });
    if (existing) {
      if (existing.firebaseUid)
        throw forbidden('The account with this email is linked to another Firebase account');
      const session = await link(deps, existing, identity);
      if (session) return session;
      continue; // linked by a request that ran alongside: look again
    }

    // Each new account is a sign-up, and counts as one.
    if (!countedSignUp) {
      await deps.rateLimiter.hit(SIGN_UPS_PER_IP, rateLimitKeyOfIp(caller.ip));
      countedSignUp = true;
    }
    const nickname = await freeNickname(deps, baseNickname(identity));
    if (!nickname) continue; // every candidate taken: new random ones next time
    try {
      return await createAccount(deps, identity, email, key, nickname);
    } catch (err) {
      // Another request took the uid, the email or the nickname first: the unique index decides.
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error('signInWithFirebase: the account kept changing under this sign-in');
}

/**
 * Links an unlinked account to the Firebase uid and starts a session; null when it got linked
 * meanwhile. Firebase proved who owns the email; whoever signed up with it never did (sign-up does
 * not verify emails). So the link ends the account's other ways in: its password stops working
 * and its sessions are revoked, or someone who registered a victim's email before the victim
 * signed in with Google would keep a door into the victim's account.
 */
async function link(deps: SocialDeps, user: User, identity: FirebaseIdentity): Promise<AuthPayload | null> {
  const now = new Date();
  try {
    const session = await deps.db.transaction(async (manager) => {
      const passwordHash = unusablePasswordHash();
      const { affected } = await manager
        .createQueryBuilder()
        .update(UserEntity)
        .set({ firebaseUid: identity.uid, passwordHash, updatedAt: now })
        .where('id = :id AND firebase_uid IS NULL', { id: user.id })
        .execute();
      if (!affected) return null;
      await manager
        .createQueryBuilder()
        .update(SessionEntity)
        .set({ revokedAt: now, revokedReason: 'linked' })
        .where('user_id = :id AND revoked_at IS NULL', { id: user.id })
        .execute();
      return startSession(deps, manager, {
        ...user,
        firebaseUid: identity.uid,
        passwordHash,
        updatedAt: now,
      });
    });
    if (session)
      deps.logger.info({ userId: user.id, provider: identity.provider }, 'Firebase account linked');
    return session;
  } catch (err) {
    // The uid was linked to another account in the meantime.
    if (isUniqueViolation(err)) return null;
    throw err;
  }
}

async function createAccount(
  deps: SocialDeps,
  identity: FirebaseIdentity,
  email: string,
  key: string,
  nickname: string,
): Promise<AuthPayload> {
  const now = new Date();
  const user: User = {
    id: newId(),
    email,
    emailKey: key,
    passwordHash: unusablePasswordHash(),
    nickname,
    nicknameKey: nicknameKey(nickname),
    bio: null,
    role: 'USER',
    phone: null,
    phoneVerifiedAt: null,
    firebaseUid: identity.uid,
    avatarId: null,
    createdAt: now,
    updatedAt: now,
  };
  const session = await deps.db.transaction(async (manager) => {
    await manager.insert(UserEntity, user);
    await recordEvent(manager, 'user.created', { userId: user.id });
    await announceUsers(manager, [user]);
    return startSession(deps, manager, user);
  });
  deps.logger.info({ userId: user.id, provider: identity.provider }, 'account created through Firebase');
  return session;
}
