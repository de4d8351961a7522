import {
  badInput,
  likeLiteral,
  newestFirst,
  pageOf,
  requireAdmin,
  type Caller,
  type Connection,
  type PageArgs,
} from '@moim/kit';
import { UserEntity, type User } from '../entities';
import type { SocialDeps } from './context';

export const MAX_USER_QUERY = 100;

export interface UserListArgs extends PageArgs {
  query?: string | null;
  role?: 'USER' | 'ADMIN' | null;
}

/**
 * Admin only: accounts newest first, optionally those whose nickname or email starts with `query`
 * (case-insensitive) and of one role. The console's user list; search answers everyone else.
 */
export async function usersPage(
  deps: SocialDeps,
  caller: Caller,
  args: UserListArgs,
): Promise<Connection<User>> {
  requireAdmin(caller);
  const page = pageOf(args);
  const qb = deps.db.dataSource.getRepository(UserEntity).createQueryBuilder('u');
  const query = args.query?.trim() ?? '';
  if (query.length > MAX_USER_QUERY) throw badInput(`query is at most ${MAX_USER_QUERY} characters`, 'query');
  if (query) {
    const prefix = `${likeLiteral(query.toLowerCase())}%`;
    qb.andWhere("(LOWER(u.nickname) LIKE :prefix ESCAPE '!' OR LOWER(u.email) LIKE :prefix ESCAPE '!')", {
      prefix,
    });
  }
  if (args.role) qb.andWhere('u.role = :role', { role: args.role });
  return newestFirst(qb, 'u', page);
}
