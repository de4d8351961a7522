import type { SelectQueryBuilder } from 'typeorm';
import {
  decodeCursor,
  isAdmin,
  pageSize,
  requireUser,
  toConnection,
  type Caller,
  type Connection,
  type PageArgs,
} from '@moim/kit';
import { FollowEdgeEntity, ReviewEntity, type Review } from '../entities';
import type { ReviewDeps } from './context';

export type FeedTab = 'LATEST' | 'FOLLOWING';

export type ReviewScope =
  { tab: FeedTab } | { authorId: string } | { placeId: string } | { productId: string };

/**
 * One page of reviews, newest first, by keyset on (created_at, id): no OFFSET, so deep pages
 * cost what the first does. Hidden reviews are left out for everyone but admins.
 */
export async function reviewPage(
  deps: ReviewDeps,
  caller: Caller,
  scope: ReviewScope,
  args: PageArgs,
): Promise<Connection<Review>> {
  const size = pageSize(args.first);
  const qb = deps.db.dataSource.getRepository(ReviewEntity).createQueryBuilder('r');
  narrow(qb, caller, scope);
  if (!isAdmin(caller)) qb.andWhere('r.hidden = :hidden', { hidden: false });
  if (args.after) {
    const { createdAt, id } = decodeCursor(args.after);
    qb.andWhere('(r.createdAt < :createdAt OR (r.createdAt = :createdAt AND r.id < :id))', { createdAt, id });
  }
  const rows = await qb
    .orderBy('r.createdAt', 'DESC')
    .addOrderBy('r.id', 'DESC')
    .limit(size + 1)
    .getMany();
  return toConnection(rows, size, (r) => r);
}

function narrow(qb: SelectQueryBuilder<Review>, caller: Caller, scope: ReviewScope) {
  if ('authorId' in scope) qb.where('r.authorId = :authorId', scope);
  else if ('placeId' in scope) qb.where('r.placeId = :placeId', scope);
  else if ('productId' in scope) qb.where('r.productId = :productId', scope);
  else if (scope.tab === 'FOLLOWING') {
    const viewerId = requireUser(caller);
    qb.innerJoin(
      FollowEdgeEntity.options.name,
      'f',
      'f.followeeId = r.authorId AND f.followerId = :viewerId AND f.active = :active',
      { viewerId, active: true },
    );
  }
}
