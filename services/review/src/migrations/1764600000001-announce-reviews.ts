import { randomUUID } from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';

const CHUNK = 500;

/** UTC, as both databases store `datetime(3)` here. */
const sqlTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

/**
 * Reviews written before review announced its reviews are announced now (`review.created` with
 * their state), so social's replica of what can be liked and commented on holds them too. Written
 * straight into the outbox: the relay sends them once the service runs.
 */
export class AnnounceReviews1764600000001 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    const now = sqlTime(new Date());
    for (let last = ''; ;) {
      const rows: Array<{ id: string; author_id: string; hidden: number | boolean }> = await q.query(
        `SELECT id, author_id, hidden FROM reviews WHERE id > ? ORDER BY id LIMIT ${CHUNK}`,
        [last],
      );
      for (const r of rows)
        await q.query(
          'INSERT INTO outbox_events (id, topic, payload, created_at, attempts) VALUES (?, ?, ?, ?, 0)',
          [
            randomUUID(),
            'review.created',
            JSON.stringify({ reviewId: r.id, authorId: r.author_id, hidden: Boolean(Number(r.hidden)) }),
            now,
          ],
        );
      if (rows.length < CHUNK) return;
      last = rows.at(-1)!.id;
    }
  }

  async down(): Promise<void> {
    // Announcements cannot be taken back; social keeps what it learnt.
  }
}
