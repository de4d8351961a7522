import {
  defineJob,
  defineQueue,
  marks,
  newId,
  processor,
  readTime,
  recordJob,
  repeatable,
  sqlParams,
} from '@moim/kit';
import type { DataSource } from 'typeorm';
import { RecommendationRunEntity, type InteractionKind } from '../entities';
import { trainModel, type Interaction } from '../recommend/model';
import type { ReviewDeps } from './context';

/*
 * The popular tab's refresh (issue 22): a full rebuild from review's tables — its reviews and
 * ratings, and the interaction log social's like, scrap and comment events feed — into one list
 * per viewer with history (collaborative filtering, then trending to fill it) and one trending
 * list for everyone else. A run's rows are written under a new version and served only once the
 * run has finished, so a failed or slow refresh leaves the previous lists in place; the replaced
 * run is kept half an hour for the cursors made from it.
 *
 * Cost: reading every review and active interaction, training (see recommend/model.ts:
 * O(Σ_user |history|²) co-occurrences), then O(viewers · list length) rows written. Hides, blocks
 * and deletions need no refresh: serving filters them live.
 */

/** Reviews in each viewer's list, and in the trending one. */
export const LIST_LENGTH = 100;
/** How long a replaced run's lists stay readable for the cursors made from them. */
export const RUN_RETENTION_MS = 30 * 60_000;
/** A run not finished after this long is taken for crashed, and forgotten. */
export const RUN_CRASHED_MS = 6 * 3_600_000;
/** Trending: engagement loses half its weight in this time. */
const TRENDING_HALF_LIFE_MS = 3 * 86_400_000;
/** What each kind of engagement is worth to trending; a review's own publication counts too. */
const ENGAGEMENT: Record<InteractionKind | 'REVIEW', number> = { LIKE: 1, SCRAP: 2, COMMENT: 0.5, REVIEW: 1 };
/** A review rated this or more (of 5) is its author's like of what it reviews. */
const LIKED_RATING = 4;
/** Representative reviews kept per subject, so one by the viewer or someone they block can be passed over. */
const CANDIDATES_PER_SUBJECT = 5;
const INSERT_CHUNK = 500;

export const POPULAR_QUEUE = defineQueue('recommend');
export const REFRESH_POPULAR = defineJob<Record<string, never>>(POPULAR_QUEUE, 'refresh-popular', {
  attempts: 3,
});

export interface RefreshSummary {
  version: string;
  users: number;
  subjects: number;
  interactions: number;
  viewers: number;
  rows: number;
  /** Reading the tables; training; making and writing the lists; all of it. */
  readMs: number;
  trainMs: number;
  writeMs: number;
  totalMs: number;
}

interface ReviewRow {
  id: string;
  authorId: string;
  subjectId: string;
  subjectKind: 'PLACE' | 'PRODUCT';
  rating: number;
  hidden: boolean;
  createdAt: number;
}

interface Row {
  viewerId: string;
  position: number;
  reviewId: string;
  reasonId: string | null;
  reasonKind: 'PLACE' | 'PRODUCT' | null;
}

/** Rebuilds every list under a new version and makes it the one served. */
export async function refreshPopular(deps: ReviewDeps, now = new Date()): Promise<RefreshSummary> {
  const started = performance.now();
  const ds = deps.db.dataSource;
  await forgetExpired(ds, now);
  const version = newId();
  await ds.query(
    'INSERT INTO recommendation_runs (version, started_at) VALUES (?, ?)',
    sqlParams(ds, [version, now]),
  );
  try {
    const { reviews, interactions, blocks } = await readSignals(ds);
    const read = performance.now();
    const lists = buildLists(reviews, interactions, blocks, now.getTime(), deps.config.POPULAR_MAX_VIEWERS);
    const trained = performance.now();
    // Each viewer's list is made and written in batches: the lists are never all in memory, and
    // the event loop (the whole graph, under npm start) gets its turn between statements.
    let batch: Row[] = [...lists.trending];
    let rows = 0;
    const flush = async () => {
      for (let i = 0; i < batch.length; i += INSERT_CHUNK) {
        const chunk = batch.slice(i, i + INSERT_CHUNK);
        await ds.query(
          `INSERT INTO recommendations (version, viewer_id, position, review_id, reason_id, reason_kind) VALUES ${chunk
            .map(() => '(?, ?, ?, ?, ?, ?)')
            .join(', ')}`,
          chunk.flatMap((r) => [version, r.viewerId, r.position, r.reviewId, r.reasonId, r.reasonKind]),
        );
      }
      rows += batch.length;
      batch = [];
    };
    for (const viewer of lists.viewers) {
      batch.push(...lists.listOf(viewer));
      if (batch.length >= INSERT_CHUNK) await flush();
    }
    await flush();
    const summary: RefreshSummary = {
      version,
      users: lists.users,
      subjects: lists.subjects,
      interactions: interactions.length,
      viewers: lists.viewers.length,
      rows,
      readMs: Math.round(read - started),
      trainMs: Math.round(lists.trainMs),
      writeMs: Math.round(performance.now() - trained),
      totalMs: Math.round(performance.now() - started),
    };
    await publish(deps, summary, now);
    deps.logger.info({ ...summary }, 'popular tab refreshed');
    return summary;
  } catch (err) {
    await forget(ds, version);
    throw err;
  }
}

/**
 * Makes the run the one served: runs that started before it are replaced (kept RUN_RETENTION_MS
 * for their cursors); if one that started after it has finished already, that newer snapshot
 * stays the one served and this run is replaced at once.
 */
async function publish(deps: ReviewDeps, summary: RefreshSummary, startedAt: Date) {
  const finished = new Date();
  await deps.db.transaction(async (manager) => {
    const q = (sql: string, params: unknown[]) => manager.query(sql, sqlParams(manager.connection, params));
    const done = await manager
      .createQueryBuilder()
      .update(RecommendationRunEntity)
      .set({ finishedAt: finished, summary: JSON.stringify(summary) })
      .where('version = :version AND finished_at IS NULL', { version: summary.version })
      .execute();
    // Taken for crashed (older than RUN_CRASHED_MS) and forgotten while it ran: nothing to serve.
    if (done.affected !== 1) throw new Error(`refresh ${summary.version} was forgotten while it ran`);
    await q(
      'UPDATE recommendation_runs SET superseded_at = ? WHERE finished_at IS NOT NULL AND superseded_at IS NULL AND started_at < ?',
      [finished, startedAt],
    );
    const [newer] = (await q(
      'SELECT COUNT(*) AS n FROM recommendation_runs WHERE finished_at IS NOT NULL AND started_at > ?',
      [startedAt],
    )) as Array<{ n: unknown }>;
    if (Number(newer?.n))
      await q('UPDATE recommendation_runs SET superseded_at = ? WHERE version = ?', [
        finished,
        summary.version,
      ]);
  });
}

/** Runs replaced more than RUN_RETENTION_MS ago, and runs that never finished (crashed) long ago. */
async function forgetExpired(ds: DataSource, now: Date) {
  const stale: Array<{ version: string }> = await ds.query(
    'SELECT version FROM recommendation_runs WHERE superseded_at < ? OR (finished_at IS NULL AND started_at < ?)',
    sqlParams(ds, [new Date(now.getTime() - RUN_RETENTION_MS), new Date(now.getTime() - RUN_CRASHED_MS)]),
  );
  for (const { version } of stale) await forget(ds, version);
}

/** Viewers' lists deleted per statement when a run is forgotten (about 10,000 rows). */
const FORGET_VIEWERS = 100;

/**
 * Deletes a run: first no longer served (a reader with its cursor gets the "expired" error, not a
 * short page), then its lists a hundred viewers at a time (bounded statements on the primary key,
 * not one of millions of rows), then the run itself — a run half forgotten is picked up again by
 * the next refresh.
 */
async function forget(ds: DataSource, version: string) {
  await ds.query('UPDATE recommendation_runs SET finished_at = NULL WHERE version = ?', [version]);
  for (;;) {
    const viewers = (
      (await ds.query(
        `SELECT DISTINCT viewer_id FROM recommendations WHERE version = ? ORDER BY viewer_id LIMIT ${FORGET_VIEWERS}`,
        [version],
      )) as Array<{ viewer_id: string }>
    ).map((r) => r.viewer_id);
    if (!viewers.length) break;
    await ds.query(
      `DELETE FROM recommendations WHERE version = ? AND viewer_id IN (${marks(viewers.length)})`,
      [version, ...viewers],
    );
  }
  await ds.query('DELETE FROM recommendation_runs WHERE version = ?', [version]);
}

async function readSignals(ds: DataSource) {
  const reviewRows: Array<Record<string, unknown>> = await ds.query(
    'SELECT id, author_id, place_id, product_id, rating, hidden, created_at FROM reviews',
  );
  const reviews: ReviewRow[] = reviewRows.map((r) => ({
    id: String(r.id),
    authorId: String(r.author_id),
    subjectId: String(r.place_id ?? r.product_id),
    subjectKind: r.place_id ? 'PLACE' : 'PRODUCT',
    rating: Number(r.rating),
    hidden: r.hidden === true || Number(r.hidden) === 1,
    createdAt: readTime(r.created_at as Date | string).getTime(),
  }));
  const interactionRows: Array<{
    user_id: string;
    review_id: string;
    kind: InteractionKind;
    at: Date | string;
  }> = await ds.query(
    'SELECT user_id, review_id, kind, at FROM interactions WHERE active = ?',
    sqlParams(ds, [true]),
  );
  const interactions = interactionRows.map((r) => ({
    userId: r.user_id,
    reviewId: r.review_id,
    kind: r.kind,
    at: readTime(r.at).getTime(),
  }));
  const blockRows: Array<{ blocker_id: string; blocked_id: string }> = await ds.query(
    'SELECT blocker_id, blocked_id FROM block_edges WHERE active = ?',
    sqlParams(ds, [true]),
  );
  const blocks = new Map<string, Set<string>>();
  for (const b of blockRows) {
    let set = blocks.get(b.blocker_id);
    if (!set) blocks.set(b.blocker_id, (set = new Set()));
    set.add(b.blocked_id);
  }
  return { reviews, interactions, blocks };
}

/** Dense indexes for ids, as the model wants them. */
class Index {
  readonly ids: string[] = [];
  private readonly byId = new Map<string, number>();
  of(id: string): number {
    let i = this.byId.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.byId.set(id, i);
      this.ids.push(id);
    }
    return i;
  }
  get(id: string): number | undefined {
    return this.byId.get(id);
  }
}

/** The lists of one run: pure, from the signals read (exported for the tests' hand-made graphs). */
export function buildLists(
  reviews: ReviewRow[],
  interactions: Array<{ userId: string; reviewId: string; kind: InteractionKind; at: number }>,
  blocks: Map<string, Set<string>>,
  now: number,
  maxViewers: number,
) {
  const users = new Index();
  const subjects = new Index();
  const subjectKind = new Map<string, 'PLACE' | 'PRODUCT'>();
  const reviewById = new Map(reviews.map((r) => [r.id, r]));
  const training: Interaction[] = [];
  const engagement = new Map<string, number>();
  const decay = (at: number) => 0.5 ** (Math.max(0, now - at) / TRENDING_HALF_LIFE_MS);

  for (const r of reviews) {
    subjectKind.set(r.subjectId, r.subjectKind);
    training.push({
      user: users.of(r.authorId),
      item: subjects.of(r.subjectId),
      like: r.rating >= LIKED_RATING,
      at: r.createdAt,
    });
    engagement.set(r.id, (engagement.get(r.id) ?? 0) + ENGAGEMENT.REVIEW * decay(r.createdAt));
  }
  // One comment per person and review counts, their latest (likes and scraps are one each
  // already): a thread of twenty comments is not twenty likes' worth.
  const comments = new Map<string, { reviewId: string; weight: number }>();
  for (const i of interactions) {
    const review = reviewById.get(i.reviewId);
    if (!review || review.authorId === i.userId) continue; // deleted, or a reply on one's own review
    training.push({
      user: users.of(i.userId),
      item: subjects.of(review.subjectId),
      like: i.kind !== 'COMMENT',
      at: i.at,
    });
    const weight = ENGAGEMENT[i.kind] * decay(i.at);
    if (i.kind !== 'COMMENT') engagement.set(review.id, (engagement.get(review.id) ?? 0) + weight);
    else {
      const key = `${i.userId} ${i.reviewId}`;
      if (weight > (comments.get(key)?.weight ?? -1)) comments.set(key, { reviewId: review.id, weight });
    }
  }
  for (const { reviewId, weight } of comments.values())
    engagement.set(reviewId, (engagement.get(reviewId) ?? 0) + weight);

  // Each subject's visible reviews, most engaging first (then newest): the ones a list shows.
  const candidates = new Map<number, ReviewRow[]>();
  for (const r of reviews) {
    if (r.hidden) continue;
    const s = subjects.of(r.subjectId);
    const list = candidates.get(s);
    if (list) list.push(r);
    else candidates.set(s, [r]);
  }
  const score = (r: ReviewRow) => engagement.get(r.id) ?? 0;
  const trendOf = new Map<number, number>();
  for (const [s, list] of candidates) {
    list.sort((a, b) => score(b) - score(a) || b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
    list.length = Math.min(list.length, CANDIDATES_PER_SUBJECT);
    trendOf.set(
      s,
      list.reduce((sum, r) => sum + score(r), 0),
    );
  }
  const trending = [...candidates.keys()].sort(
    (a, b) =>
      trendOf.get(b)! - trendOf.get(a)! ||
      candidates.get(b)![0]!.createdAt - candidates.get(a)![0]!.createdAt,
  );

  const trainStarted = performance.now();
  const model = trainModel({
    users: users.ids.length,
    items: subjects.ids.length,
    interactions: training,
    now,
  });
  const trainMs = performance.now() - trainStarted;

  const pick = (viewerId: string, s: number) =>
    candidates.get(s)?.find((r) => r.authorId !== viewerId && !blocks.get(viewerId)?.has(r.authorId));
  const listFor = (
    viewerId: string,
    recommended: Array<{ item: number; because: number }>,
    seen: Set<number>,
  ): Row[] => {
    const rows: Row[] = [];
    let position = 0;
    const add = (s: number, because: number) => {
      if (seen.has(s) || position >= LIST_LENGTH) return;
      seen.add(s);
      const review = pick(viewerId, s);
      if (!review) return;
      const reason = because >= 0 ? subjects.ids[because]! : null;
      rows.push({
        viewerId,
        position: ++position,
        reviewId: review.id,
        reasonId: reason,
        reasonKind: reason ? subjectKind.get(reason)! : null,
      });
    };
    for (const r of recommended) add(r.item, r.because);
    for (const s of trending) add(s, -1);
    return rows;
  };

  const history = new Map<number, { seen: Set<number>; last: number }>();
  for (const t of training) {
    let h = history.get(t.user);
    if (!h) history.set(t.user, (h = { seen: new Set(), last: 0 }));
    h.seen.add(t.item);
    h.last = Math.max(h.last, t.at);
  }
  // Lists for the most recently active viewers (the rows written grow with them); the others, and
  // everyone new since, get trending.
  const viewers = [...history].sort((a, b) => b[1].last - a[1].last || a[0] - b[0]).slice(0, maxViewers);
  const byViewer = new Map(viewers.map(([user, { seen }]) => [users.ids[user]!, { user, seen }]));
  return {
    /** The list of everyone without one of their own. */
    trending: listFor('', [], new Set()),
    /** Who gets a list of their own, most recently active first. */
    viewers: [...byViewer.keys()],
    /** A viewer's list, made when asked for (the refresh writes them in batches). */
    listOf(viewerId: string): Row[] {
      const { user, seen } = byViewer.get(viewerId)!;
      const recommended = model.recommend(user, LIST_LENGTH, seen).filter((r) => r.score > 0);
      return listFor(viewerId, recommended, new Set(seen));
    },
    users: users.ids.length,
    subjects: subjects.ids.length,
    trainMs,
  };
}

export const popularProcessors = (deps: ReviewDeps) => [
  processor(REFRESH_POPULAR, async () => {
    await refreshPopular(deps);
  }),
];

export const popularSchedule = (everyMs: number) => [repeatable(REFRESH_POPULAR, everyMs, {})];

/**
 * A worker's first refresh when there are reviews and no refresh has finished yet (a first
 * deploy): the schedule's first run comes only after its interval. One job id per hour, so
 * workers starting together ask for one, and a first refresh that failed is asked for again by
 * the next start an hour later.
 */
export async function refreshIfNeverRun(deps: ReviewDeps): Promise<void> {
  const [row] = (await deps.db.dataSource.query(
    'SELECT (SELECT COUNT(*) FROM recommendation_runs WHERE finished_at IS NOT NULL) AS runs, ' +
      '(SELECT COUNT(*) FROM reviews) AS reviews',
  )) as Array<{ runs: unknown; reviews: unknown }>;
  if (Number(row?.runs ?? 0) > 0 || !Number(row?.reviews ?? 0)) return;
  await deps.db.transaction((manager) =>
    recordJob(manager, REFRESH_POPULAR, {}, { id: `popular-first-${Math.floor(Date.now() / 3_600_000)}` }),
  );
}
