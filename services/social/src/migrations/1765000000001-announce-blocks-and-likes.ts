import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { EventPayloads, LikeChange } from '@moim/events';
import { dialectOf, marks, newId } from '@moim/kit';

/** Rows read per statement, and outbox rows written per statement (4 parameters each). */
const CHUNK = 500;

/** UTC, as both databases store `datetime(3)` here. */
const sqlTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

type Announcement = {
  [T in 'block.created' | 'like.created']: { topic: T; payload: EventPayloads[T] };
}['block.created' | 'like.created'];

/**
 * Blocks and likes made before search consumed `block.*` and `like.*` are announced now, with the
 * payloads blocks.ts and reactions.ts record (`block.created` per block, `like.created` per like
 * on a review or post), so search leaves blocked people's content out and counts likes from the
 * start. Written straight into the outbox, as review's AnnounceReviews1764600000001 does: the
 * relay sends them once the service runs. A fresh database has none and gets none.
 *
 * review and chat consume `block.created` too and apply it with `applyIfNewer` by sequence: this
 * one re-announces the current state with a larger sequence, which leaves their edges as they are.
 *
 * On MySQL the rows are read `FOR UPDATE`: a block or like deleted by a replica still running the
 * old code waits for this migration to commit, so its `.deleted` event gets the larger sequence and
 * no stale `.created` can outrank it. (SQLite runs one transaction at a time.)
 */
export class AnnounceBlocksAndLikes1765000000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    const lock = dialectOf(q.manager) === 'sqlite' ? '' : ' FOR UPDATE';
    const now = sqlTime(new Date());

    for (let after: [string, string] | null = null; ;) {
      const rows: Array<{ blocker_id: string; blocked_id: string }> = await q.query(
        `SELECT blocker_id, blocked_id FROM blocks
         ${after ? 'WHERE blocker_id > ? OR (blocker_id = ? AND blocked_id > ?)' : ''}
         ORDER BY blocker_id, blocked_id LIMIT ${CHUNK}${lock}`,
        after ? [after[0], after[0], after[1]] : [],
      );
      await announce(
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
      const rows: Array<{ target_id: string; user_id: string }> = await q.query(
        `SELECT target_id, user_id FROM likes
         ${after ? 'WHERE target_id > ? OR (target_id = ? AND user_id > ?)' : ''}
         ORDER BY target_id, user_id LIMIT ${CHUNK}${lock}`,
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
        const like: LikeChange = { userId: r.user_id, targetKind: kind, targetId: r.target_id };
        likes.push({ topic: 'like.created', payload: like });
      }
      await announce(q, now, likes);
      if (rows.length < CHUNK) break;
      const last = rows.at(-1)!;
      after = [last.target_id, last.user_id];
    }
  }

  async down(): Promise<void> {
    // Announcements cannot be taken back; search, review and chat keep what they learnt.
  }
}

/** One multi-row insert into the outbox (at most CHUNK rows). */
async function announce(q: QueryRunner, now: string, events: Announcement[]): Promise<void> {
  if (!events.length) return;
  await q.query(
    `INSERT INTO outbox_events (id, topic, payload, created_at, attempts) VALUES ${events
      .map(() => '(?, ?, ?, ?, 0)')
      .join(', ')}`,
    events.flatMap((e) => [newId(), e.topic, JSON.stringify(e.payload), now]),
  );
}
