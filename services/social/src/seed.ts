import { In } from 'typeorm';
import type { Seeder } from '@moim/demo';
import type { SocialDeps } from './domain/context';
import { insertAccounts } from './domain/accounts';
import { followInTransaction } from './domain/follows';
import { hashPassword } from './domain/passwords';
import { UserEntity } from './entities';

/** The demo accounts and follows, in one transaction (follows travel on as events). */
export const seed: Seeder<SocialDeps> = async (deps, demo) => {
  const existing = await deps.db.dataSource
    .getRepository(UserEntity)
    .findBy({ email: In(demo.users.map((u) => u.email)) });
  const byEmail = new Map(existing.map((u) => [u.email, u.id]));
  for (const u of demo.users) if (byEmail.has(u.email)) demo.ids.set(u.key, byEmail.get(u.email)!);
  if (existing.length === demo.users.length) return null;
  if (existing.length)
    throw new Error(
      `Some demo accounts exist already (${existing[0]!.email}): drop social's data and seed again`,
    );

  // One slow hash per distinct password: thousands of argon2 hashes would take minutes.
  const hashes = new Map<string, string>();
  for (const password of new Set(demo.users.map((u) => u.password)))
    hashes.set(password, await hashPassword(password));
  await deps.db.transaction(async (manager) => {
    const users = await insertAccounts(
      manager,
      demo.users.map((u) => ({ ...u, passwordHash: hashes.get(u.password)! })),
    );
    users.forEach((user, i) => demo.ids.set(demo.users[i]!.key, user.id));
    for (const f of demo.follows)
      await followInTransaction(manager, demo.ids.get(f.followerKey)!, demo.ids.get(f.followeeKey)!);
  });
  return { users: demo.users.length, follows: demo.follows.length };
};
