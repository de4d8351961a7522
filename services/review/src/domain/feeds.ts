import type { SelectQueryBuilder } from 'typeorm';
import {
  pageOf,
  newestFirst,
  afterKeyset,
  isAdmin,
  loadPages,
  newestPerParent,
  requireUser,
  type Caller,
  type Connection,
  type Keyset,
  type PageArgs,
} from '@moim/kit';
import { BlockEdgeEntity, FollowEdgeEntity, ReviewEntity, type Review } from '../entities';
import type { ReviewDeps } from './context';

export type FeedTab = 'LATEST' | 'FOLLOWING';

/** Hidden reviews are left out for everyone but admins, and the authors the viewer blocks for the viewer. */
function applyVisibility(qb: SelectQueryBuilder<Review>, caller: Caller) {
  if (!isAdmin(caller)) qb.andWhere('r.hidden = :hidden', { hidden: false });
  if (caller.userId)
    qb.andWhere(
      `NOT EXISTS (SELECT 1 FROM ${BlockEdgeEntity.options.tableName} b WHERE b.blocker_id = :viewerId ` +
        'AND b.blocked_id = r.author_id AND b.active = :blocking)',
      { viewerId: caller.userId, blocking: true },
    );
}

/**
 * One page of a home feed tab, newest first, by keyset on (created_at, id): no OFFSET, so deep
 * pages cost what the first does.
 */
export async function feedPage(
  deps: ReviewDeps,
  caller: Caller,
  tab: FeedTab,
  args: PageArgs,
): Promise<Connection<Review>> {
  const page = pageOf(args);
  const qb = deps.db.dataSource.getRepository(ReviewEntity).createQueryBuilder('r');
  if (tab === 'FOLLOWING') {
    const viewerId = requireUser(caller);
    qb.innerJoin(
      FollowEdgeEntity.options.name,
      'f',
      'f.follower_id = :viewerId AND f.followee_id = r.author_id AND f.active = :active',
      {
        viewerId,
        active: true,
      },
    );
  }
  applyVisibility(qb, caller);
  return newestFirst(qb, 'r', page);
}

/** The column that ties a review to the parent of a nested review list. */
export type ReviewParent = 'author_id' | 'place_id' | 'product_id';

/**
 * Fetches a page of reviews for many parents at once (each author's, place's or product's): the
 * newest `size + 1` per parent in one statement, then the reviews in one batch.
 */
export function reviewsOf(
  deps: ReviewDeps,
  caller: Caller,
  parent: ReviewParent,
  loadReviews: (ids: string[]) => Promise<Array<Review | null>>,
) {
  return async (
    parentIds: readonly string[],
    size: number,
    after: Keyset | null,
  ): Promise<Map<string, Review[]>> => {
    const qb = deps.db.dataSource.getRepository(ReviewEntity).createQueryBuilder('r');
    applyVisibility(qb, caller);
    afterKeyset(qb, after, 'r');
    const pages = await newestPerParent(qb, { alias: 'r', parent, id: 'id' }, parentIds, size + 1);
    return loadPages(pages, loadReviews, (_, review) => review);
  };
}
