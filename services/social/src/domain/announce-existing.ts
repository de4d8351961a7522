import type { EntityManager } from 'typeorm';
import type { EventPayloads, LikeChange } from '@moim/events';
import { marks, newId, readTime } from '@moim/kit';

/** Rows read per statement, and outbox rows written per statement (4 parameters each). */
const CHUNK = 500;

/** UTC, as both databases store `datetime(3)` here. */
const sqlTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

type Announcement = {
  [T in 'block.created' | 'like.created']: { topic: T; payload: EventPayloads[T] };
}['block.created' | 'like.created'];

/**
 * Records a `block.created` for every current block and a `like.created` for every current like
 * on a review or post, with when it was made (the payloads blocks.ts and reactions.ts record), in batches, straight into
 * the outbox: the relay routes them to whoever consumes them now. Search learns the blocks and
 * likes it never heard of this way: from the migration that introduced it (a fresh install) and
 * from `npm run reindex` (a deployment whose old replicas relayed the migration's rows with their
 * old routing during the rollout). review and chat consume `block.created` too and apply it with
 * `applyIfNewer` by sequence: the current state again, with a larger sequence, changes nothing.
 */
export async function announceBlocksAndLikes(q: EntityManager): Promise<number> {
  const now = sqlTime(new Date());
  let announced = 0;

  for (let after: [string, string] | null = null; ;) {
    const rows: Array<{ blocker_id: string; blocked_id: string }> = await q.query(
      `SELECT blocker_id, blocked_id FROM blocks
       ${after ? 'WHERE blocker_id > ? OR (blocker_id = ? AND blocked_id > ?)' : ''}
       ORDER BY blocker_id, blocked_id LIMIT ${CHUNK}`,
      after ? [after[0], after[0], after[1]] : [],
    );
    announced += await announce(
      q,
      now,
      rows.map((r) => ({
        topic: 'block.created',
        payload: { blockerId: r.blocker_id, blockedId: r.blocked_id },
      })),
    );
    if (rows.length < CHUNK) break;
    const last = rows.at(-1)!;
    after = [last.blocker_id, last.blocked_id];
  }

  for (let after: [string, string] | null = null; ;) {
    const rows: Array<{ target_id: string; user_id: string; created_at: Date | string }> = await q.query(
      `SELECT target_id, user_id, created_at FROM likes
       ${after ? 'WHERE target_id > ? OR (target_id = ? AND user_id > ?)' : ''}
       ORDER BY target_id, user_id LIMIT ${CHUNK}`,
      after ? [after[0], after[0], after[1]] : [],
    );
    const targetIds = [...new Set(rows.map((r) => r.target_id))];
    const kinds = new Map<string, string>(
      targetIds.length
        ? (
            (await q.query(
              `SELECT id, kind FROM targets WHERE id IN (${marks(targetIds.length)})`,
              targetIds,
            )) as Array<{ id: string; kind: string }>
          ).map((t) => [t.id, t.kind])
        : [],
    );
    const likes: Announcement[] = [];
    for (const r of rows) {
      const kind = kinds.get(r.target_id);
      if (kind !== 'REVIEW' && kind !== 'POST') continue; // no target row: nothing search could rank
      const like: LikeChange = {
        userId: r.user_id,
        targetKind: kind,
        targetId: r.target_id,
        at: isoTime(r.created_at),
      };
      likes.push({ topic: 'like.created', payload: like });
    }
    announced += await announce(q, now, likes);
    if (rows.length < CHUNK) break;
    const last = rows.at(-1)!;
    after = [last.target_id, last.user_id];
  }
  return announced;
}

/** One multi-row insert into the outbox (at most CHUNK rows). */
async function announce(q: EntityManager, now: string, events: Array<Announcement | Taste>): Promise<number> {
  if (!events.length) return 0;
  await q.query(
    `INSERT INTO outbox_events (id, topic, payload, created_at, attempts) VALUES ${events
      .map(() => '(?, ?, ?, ?, 0)')
      .join(', ')}`,
    events.flatMap((e) => [newId(), e.topic, JSON.stringify(e.payload), now]),
  );
  return events.length;
}

type Taste = {
  [T in 'like.created' | 'scrap.created' | 'comment.created']: { topic: T; payload: EventPayloads[T] };
}['like.created' | 'scrap.created' | 'comment.created'];

/**
 * Records a `like.created` and `scrap.created` for every current like and scrap of a review, and a
 * `comment.created` for every comment on a review that is not deleted (with when each was made),
 * for review's popular tab, which learns tastes from them (issue 22): from the migration that
 * introduced it. Search applies the likes again by sequence: the current state, nothing changes.
 */
export async function announceTastes(q: EntityManager, options = { likes: true }): Promise<number> {
  const now = sqlTime(new Date());
  let announced = 0;
  // Each table in its primary key's order (likes by target, scraps by user).
  const tables = [
    { table: 'likes', topic: 'like.created', key: ['target_id', 'user_id'] },
    { table: 'scraps', topic: 'scrap.created', key: ['user_id', 'target_id'] },
  ] as const;
  for (const { table, topic, key } of tables) {
    if (table === 'likes' && !options.likes) continue;
    const [k1, k2] = key;
    for (let after: [string, string] | null = null; ;) {
      const rows: Array<{ target_id: string; user_id: string; created_at: Date | string }> = await q.query(
        `SELECT r.target_id, r.user_id, r.created_at FROM ${table} r
         INNER JOIN targets t ON t.id = r.target_id AND t.kind = 'REVIEW'
         ${after ? `WHERE r.${k1} > ? OR (r.${k1} = ? AND r.${k2} > ?)` : ''}
         ORDER BY r.${k1}, r.${k2} LIMIT ${CHUNK}`,
        after ? [after[0], after[0], after[1]] : [],
      );
      announced += await announce(
        q,
        now,
        rows.map((r) => ({
          topic,
          payload: {
            userId: r.user_id,
            targetKind: 'REVIEW',
            targetId: r.target_id,
            at: isoTime(r.created_at),
          },
        })),
      );
      if (rows.length < CHUNK) break;
      const last = rows.at(-1)!;
      after = [last[k1], last[k2]];
    }
  }
  for (let after: string | null = null; ;) {
    const rows: Array<{ id: string; author_id: string; target_id: string; created_at: Date | string }> =
      await q.query(
        `SELECT c.id, c.author_id, c.target_id, c.created_at FROM comments c
         INNER JOIN targets t ON t.id = c.target_id AND t.kind = 'REVIEW'
         WHERE c.deleted_at IS NULL ${after ? 'AND c.id > ?' : ''}
         ORDER BY c.id LIMIT ${CHUNK}`,
        after ? [after] : [],
      );
    announced += await announce(
      q,
      now,
      rows.map((r) => ({
        topic: 'comment.created',
        payload: {
          commentId: r.id,
          userId: r.author_id,
          targetKind: 'REVIEW',
          targetId: r.target_id,
          at: isoTime(r.created_at),
        },
      })),
    );
    if (rows.length < CHUNK) break;
    after = rows.at(-1)!.id;
  }
  return announced;
}

const isoTime = (value: Date | string) => readTime(value).toISOString();
