import {
  badInput,
  decodeRankedCursor,
  encodeRankedCursor,
  pageSize,
  rowReader,
  sqlParams,
  sqlPerShape,
  type Caller,
  type Connection,
  type PageArgs,
  type RankedPosition,
} from '@moim/kit';
import { ReviewEntity, type Review } from '../entities';
import type { ReviewDeps } from './context';

/** Why a review is in the viewer's popular tab: `Review.recommendationReason` reads it. */
export interface Recommended {
  /** The place or product the viewer liked that led here; null when it is trending. */
  reasonId: string | null;
  reasonKind: 'PLACE' | 'PRODUCT' | null;
}

/** A review served by the popular tab carries why. */
export type PopularReview = Review & { recommended?: Recommended };

/**
 * Where a page of the popular tab ends: the run it was read from (so that later pages keep its
 * ranking while newer runs are published), whose list (the viewer's, or '' for trending) and the
 * position reached.
 */
interface PopularCursor {
  version: string;
  list: string;
  position: number;
}

// In the kit's ranked-cursor form, which the gateway checks every `after` against.
const encode = (c: PopularCursor) =>
  encodeRankedCursor({ rank: 0, keys: [c.list, String(c.position)], id: c.version });

function decode(after: string, caller: Caller): PopularCursor {
  let cursor: RankedPosition | null;
  try {
    cursor = decodeRankedCursor(after);
  } catch {
    cursor = null;
  }
  const [list, position] = cursor?.keys ?? [];
  if (!cursor || cursor.keys.length !== 2 || !/^(0|[1-9]\d{0,5})$/.test(position ?? ''))
    throw badInput('after is not a cursor of the popular tab', 'after');
  // A viewer's list says what they like: only they may page through it.
  if (list !== '' && list !== caller.userId)
    throw badInput('after is a cursor of another viewer’s feed', 'after');
  return { version: cursor.id, list: list!, position: Number(position) };
}

/**
 * The reviews of a list after a position, checked as they are now: hidden ones, the viewer's own
 * and those by people they block are passed over (`v`: a signed-in viewer).
 */
const pageSql = sqlPerShape((shape: string) =>
  [
    'SELECT r.*, rec.position AS rec_position, rec.reason_id AS rec_reason_id, rec.reason_kind AS rec_reason_kind',
    'FROM recommendations rec INNER JOIN reviews r ON r.id = rec.review_id',
    'WHERE rec.version = ? AND rec.viewer_id = ? AND rec.position > ? AND r.hidden = ?',
    shape === 'v'
      ? 'AND r.author_id <> ? AND NOT EXISTS (SELECT 1 FROM block_edges b WHERE b.blocker_id = ? AND b.blocked_id = r.author_id AND b.active = ?)'
      : '',
    'ORDER BY rec.position LIMIT ?',
  ]
    .filter(Boolean)
    .join(' '),
);

/** The run served now (of the finished ones, the latest snapshot), and whether the viewer has a list of their own in it. */
const CURRENT_RUN =
  'SELECT r.version, (SELECT COUNT(*) FROM recommendations x WHERE x.version = r.version AND x.viewer_id = ? AND x.position = 1) AS mine ' +
  'FROM recommendation_runs r WHERE r.finished_at IS NOT NULL ORDER BY r.started_at DESC, r.version DESC LIMIT 1';
const RUN_EXISTS =
  'SELECT COUNT(*) AS n FROM recommendation_runs WHERE version = ? AND finished_at IS NOT NULL';

/**
 * One page of the popular tab: the viewer's list of the latest refresh when they have one, the
 * trending list otherwise (and for anonymous viewers). A cursor pages through the run it was made
 * from while that run is kept (half an hour after it is replaced); past that, a clear error asks for
 * the first page again. Before any refresh has finished the tab is empty.
 */
export async function popularPage(
  deps: ReviewDeps,
  caller: Caller,
  args: PageArgs,
): Promise<Connection<PopularReview>> {
  const size = pageSize(args.first);
  const ds = deps.db.dataSource;
  let cursor: PopularCursor;
  if (args.after) {
    cursor = decode(args.after, caller);
    const [row] = (await ds.query(RUN_EXISTS, [cursor.version])) as Array<{ n: unknown }>;
    if (!Number(row?.n))
      throw badInput('This page of the popular tab has expired: load the tab from the start', 'after');
  } else {
    const [run] = (await ds.query(CURRENT_RUN, [caller.userId ?? ''])) as Array<{
      version: string;
      mine: unknown;
    }>;
    if (!run) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
    cursor = {
      version: run.version,
      list: caller.userId && Number(run.mine) ? caller.userId : '',
      position: 0,
    };
  }
  const viewer = caller.userId ? [caller.userId, caller.userId, true] : [];
  const rows: Array<Record<string, unknown>> = await ds.query(
    pageSql(caller.userId ? 'v' : ''),
    sqlParams(ds, [cursor.version, cursor.list, cursor.position, false, ...viewer, size + 1]),
  );
  const reader = rowReader(ds, ReviewEntity);
  const page = rows.slice(0, size).map((row) => {
    const review: PopularReview = reader.read(row);
    review.recommended = {
      reasonId: (row.rec_reason_id as string | null) ?? null,
      reasonKind: (row.rec_reason_kind as 'PLACE' | 'PRODUCT' | null) ?? null,
    };
    return { node: review, cursor: encode({ ...cursor, position: Number(row.rec_position) }) };
  });
  return {
    edges: page,
    pageInfo: { hasNextPage: rows.length > size, endCursor: page.at(-1)?.cursor ?? null },
  };
}
