import {
  isAdmin,
  pageOf,
  requireUser,
  rowReader,
  sqlPerShape,
  toConnection,
  unionOfLimited,
  type Caller,
  type Connection,
  type Keyset,
  type PageArgs,
} from '@moim/kit';
import { ReviewEntity, type Review } from '../entities';
import type { ReviewDeps } from './context';

export type FeedTab = 'LATEST' | 'FOLLOWING';

/*
 * The feed and the nested review lists are the hottest reads of the graph: their SQL is written
 * here once per shape (which filters apply), and rows are read by the kit's rowReader, not built
 * and hydrated by TypeORM's query builder on every request.
 */

/** Which filters a list applies: hidden rows (unless shown), blocks (a viewer), a keyset. */
interface Filters {
  /** `a` hidden rows shown, `v` a signed-in viewer, `k` after a cursor: the SQL's cache key. */
  shape: string;
  params: unknown[];
}

function filtersFor(caller: Caller, after: Keyset | null, showHidden: boolean): Filters {
  const params: unknown[] = [];
  if (!showHidden) params.push(false);
  if (caller.userId) params.push(caller.userId, true);
  if (after) params.push(after.createdAt, after.createdAt, after.id);
  return { shape: `${showHidden ? 'a' : ''}${caller.userId ? 'v' : ''}${after ? 'k' : ''}`, params };
}

/**
 * The conditions of a shape, in the order `filtersFor` gives their parameters: hidden reviews are
 * left out unless shown, the authors the viewer blocks for the viewer, and rows up to
 * the cursor (newest first on created_at, then id).
 */
function conditions(shape: string): string[] {
  const where: string[] = [];
  if (!shape.includes('a')) where.push('r.hidden = ?');
  if (shape.includes('v'))
    where.push(
      'NOT EXISTS (SELECT 1 FROM block_edges b WHERE b.blocker_id = ? AND b.blocked_id = r.author_id AND b.active = ?)',
    );
  if (shape.includes('k')) where.push('(r.created_at < ? OR (r.created_at = ? AND r.id < ?))');
  return where;
}

const NEWEST_FIRST = 'ORDER BY r.created_at DESC, r.id DESC LIMIT ?';

/** A feed page: `F` before the shape for the FOLLOWING tab (the viewer's follow edges). */
const feedSql = sqlPerShape((key: string) => {
  const following = key.startsWith('F');
  const where = conditions(following ? key.slice(1) : key);
  return [
    'SELECT r.* FROM reviews r',
    following
      ? 'INNER JOIN follow_edges f ON f.follower_id = ? AND f.followee_id = r.author_id AND f.active = ?'
      : '',
    where.length ? `WHERE ${where.join(' AND ')}` : '',
    NEWEST_FIRST,
  ]
    .filter(Boolean)
    .join(' ');
});

/**
 * One page of a home feed tab, newest first, by keyset on (created_at, id): no OFFSET, so deep
 * pages cost what the first does. Hidden reviews are left out for admins too: a feed is what
 * people see (admins find hidden ones in the moderation queue and the nested lists).
 */
export async function feedPage(
  deps: ReviewDeps,
  caller: Caller,
  tab: FeedTab,
  args: PageArgs,
): Promise<Connection<Review>> {
  const page = pageOf(args);
  const filters = filtersFor(caller, page.after, false);
  const following = tab === 'FOLLOWING' ? [requireUser(caller), true] : [];
  const rows = await rowReader(deps.db.dataSource, ReviewEntity).all(
    feedSql(`${following.length ? 'F' : ''}${filters.shape}`),
    [...following, ...filters.params, page.size + 1],
  );
  return toConnection(rows, page.size, (row) => row);
}

/** The column that ties a review to the parent of a nested review list. */
export type ReviewParent = 'author_id' | 'place_id' | 'product_id';

const PARENT_PROPERTY = { author_id: 'authorId', place_id: 'placeId', product_id: 'productId' } as const;

/**
 * One parent's newest rows (a branch of `unionOfLimited`): it reads its parent's (created_at, id)
 * index only as far as the limit.
 */
const branchSql = sqlPerShape((key: string) => {
  const [parent, shape = ''] = key.split(':');
  const where = [...conditions(shape), `r.${parent} = ?`];
  return `SELECT r.* FROM reviews r WHERE ${where.join(' AND ')} ${NEWEST_FIRST}`;
});

/**
 * Fetches a page of reviews for many parents at once (each author's, place's or product's): the
 * newest `size + 1` whole rows per parent in one statement, a UNION ALL of one branch per parent
 * (a window function would read every row of a parent first). Each review is handed to `seen`
 * (the request's review loader keeps it, so looking it up again costs nothing).
 */
export function reviewsOf(
  deps: ReviewDeps,
  caller: Caller,
  parent: ReviewParent,
  seen: (review: Review) => void,
) {
  const property = PARENT_PROPERTY[parent];
  return async (
    parentIds: readonly string[],
    size: number,
    after: Keyset | null,
  ): Promise<Map<string, Review[]>> => {
    const pages = new Map<string, Review[]>();
    if (!parentIds.length) return pages;
    // Admins see hidden reviews in an author's, place's or product's list, to unhide them.
    const filters = filtersFor(caller, after, isAdmin(caller));
    const branch = branchSql(`${parent}:${filters.shape}`);
    const rows = await rowReader(deps.db.dataSource, ReviewEntity).all(
      unionOfLimited(
        deps.db.dialect,
        parentIds.map(() => branch),
      ),
      parentIds.flatMap((id) => [...filters.params, id, size + 1]),
    );
    for (const row of rows) {
      seen(row);
      const key = row[property]!;
      const page = pages.get(key);
      if (page) page.push(row);
      else pages.set(key, [row]);
    }
    // UNION ALL promises no order across branches; restore newest first within each parent.
    for (const page of pages.values())
      page.sort(
        (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
      );
    return pages;
  };
}
