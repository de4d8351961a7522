import { badInput } from '@moim/kit';
import { UserEntity, type User } from '../entities';
import { insertAccounts } from './accounts';
import type { SocialDeps } from './context';
import { hashPassword } from './passwords';
import { emailKey, nicknameKey, validEmail, validNickname, validPassword } from './validation';

/**
 * Makes an admin: a new ADMIN account, or an existing account (found by email) promoted. How the
 * first admin of a deployment comes to be (`npm run create-admin`): no admin password is ever
 * published or seeded in production.
 */
export async function makeAdmin(
  deps: SocialDeps,
  input: { email: string; password?: string; nickname?: string },
): Promise<{ user: User; created: boolean }> {
  const email = validEmail(input.email);
  const users = deps.db.dataSource.getRepository(UserEntity);
  const existing = await users.findOneBy({ emailKey: emailKey(email) });
  if (existing) {
    if (existing.role !== 'ADMIN')
      await users.update({ id: existing.id }, { role: 'ADMIN', updatedAt: new Date() });
    deps.logger.info({ userId: existing.id }, 'account promoted to admin');
    return { user: { ...existing, role: 'ADMIN' }, created: false };
  }
  if (!input.password) throw badInput('A password is needed to create a new account', 'password');
  const nickname = validNickname(input.nickname ?? 'admin');
  if (await users.existsBy({ nicknameKey: nicknameKey(nickname) }))
    throw badInput(`The nickname ${nickname} is taken: choose another`, 'nickname');
  const passwordHash = await hashPassword(validPassword(input.password, email));
  const [user] = await deps.db.transaction((manager) =>
    insertAccounts(manager, [{ email, nickname, role: 'ADMIN', passwordHash }]),
  );
  deps.logger.info({ userId: user!.id }, 'admin account created');
  return { user: user!, created: true };
}
