import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  CreateOutbox1764200000000,
  OutboxFailures1764500000000,
  type BackendKind,
} from '@moim/kit';
import { CreateProcessedEvents1764200000001 } from '@moim/kit';
import { openTestBackend, type TestBackend } from '@moim/kit/testing';
import { CreateReview1764300000001 } from '../src/migrations/1764300000001-create-review';
import { BlockEdges1764600000000 } from '../src/migrations/1764600000000-block-edges';
import { AnnounceReviews1764600000001 } from '../src/migrations/1764600000001-announce-reviews';

// A review database from before review announced its reviews: the migration announces each
// existing review once, with its state, so social's replica learns of them.
describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  beforeAll(async () => {
    test = await openTestBackend(kind);
  });
  afterAll(() => test?.cleanUp());

  const before = [
    CreateOutbox1764200000000,
    CreateProcessedEvents1764200000001,
    OutboxFailures1764500000000,
    CreateReview1764300000001,
  ];
  const open = (url: string | undefined, migrations: typeof before) =>
    test.backend.openDatabase('review', url, {
      entities: [],
      migrations,
      logger: createLogger('migrations-test', 'silent'),
      migrate: true,
    });

  it('announces every existing review once, hidden ones as hidden', async () => {
    const url = await test.databaseUrl('review_announce');
    const old = await open(url, before);
    const reviews = Array.from({ length: 1203 }, (_, i) => ({
      id: randomUUID(),
      author: randomUUID(),
      hidden: i % 100 === 0,
    }));
    for (const r of reviews)
      await old.dataSource.query(
        `INSERT INTO reviews (id, kind, body, rating, product_id, author_id, hidden, created_at, updated_at)
         VALUES (?, 'SOSOLOG', 'old', 3, ?, ?, ?, '2020-01-01 00:00:00.000', '2020-01-01 00:00:00.000')`,
        [r.id, randomUUID(), r.author, r.hidden],
      );
    await old.close();

    const migrated = await open(url, [...before, BlockEdges1764600000000, AnnounceReviews1764600000001]);
    try {
      const rows: Array<{ topic: string; payload: string; published_at: unknown }> =
        await migrated.dataSource.query('SELECT topic, payload, published_at FROM outbox_events');
      expect(rows.every((r) => r.topic === 'review.created' && r.published_at === null)).toBe(true);
      const announced = rows.map(
        (r) => JSON.parse(r.payload) as { reviewId: string; authorId: string; hidden: boolean },
      );
      expect(announced.map((a) => a.reviewId).sort()).toEqual(reviews.map((r) => r.id).sort());
      const byId = new Map(announced.map((a) => [a.reviewId, a]));
      for (const r of reviews)
        expect(byId.get(r.id)).toEqual({ reviewId: r.id, authorId: r.author, hidden: r.hidden });
    } finally {
      await migrated.close();
    }
  });
});
