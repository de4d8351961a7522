import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayloads } from '@moim/events';
import { decodeRankedCursor, sqlParams, startService, type BackendKind, type Caller } from '@moim/kit';
import { eventFeed, eventually, openTestBackend, testEnv, type TestBackend } from '@moim/kit/testing';
import {
  InteractionEntity,
  ProductEntity,
  ReviewEntity,
  service,
  type Review,
  type ReviewService,
} from '../src';
import { popularPage } from '../src/domain/popular-feed';
import {
  LIST_LENGTH,
  refreshIfNeverRun,
  refreshPopular,
  RUN_RETENTION_MS,
} from '../src/domain/popular-refresh';

// The popular tab on review alone, on both backends: the interaction log social's events feed,
// a hand-made graph of tastes where the right recommendation is known, what a list must never
// show, and runs (a cursor keeps its run; an unfinished run is never served; old runs go).
describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let review: ReviewService;

  beforeAll(async () => {
    test = await openTestBackend(kind);
    const config = service.loadEnv(testEnv({ ...test.env, DATABASE_URL: await test.databaseUrl('review') }));
    review = await startService(service.define(config), config, { backend: test.backend, role: 'worker' });
  });
  afterAll(async () => {
    await review?.stop();
    await test?.cleanUp();
  });

  const { envelope, send, settle } = eventFeed(() => ({ queues: test.backend.queues, service: review }));
  const ds = () => review.deps.db.dataSource;
  const callerFor = (userId: string | null): Caller => ({
    userId,
    role: 'USER',
    ip: null,
    requestId: 'test',
  });

  let clock = Date.now() - 3_600_000;
  /** A product of its own (named) with one review by `authorId`, in the order made. */
  async function productWithReview(name: string, authorId: string, rating = 5) {
    const productId = randomUUID();
    const at = new Date((clock += 60_000));
    await ds().getRepository(ProductEntity).insert({
      id: productId,
      name,
      brand: null,
      category: 'food',
      purchaseUrl: null,
      createdBy: authorId,
      createdAt: at,
    });
    return addReview(productId, authorId, rating);
  }
  async function addReview(productId: string, authorId: string, rating = 5, hidden = false): Promise<Review> {
    const at = new Date((clock += 60_000));
    const row: Review = {
      id: randomUUID(),
      kind: 'SOSOLOG',
      title: null,
      body: 'Worth it',
      rating,
      placeId: null,
      productId,
      authorId,
      hidden,
      createdAt: at,
      updatedAt: at,
    };
    await ds().getRepository(ReviewEntity).insert(row);
    return row;
  }
  let sequence = 1;
  async function deliver<
    T extends 'like.created' | 'like.deleted' | 'scrap.created' | 'comment.created' | 'comment.deleted',
  >(topic: T, payload: EventPayloads[T], at = sequence++) {
    const event = envelope(topic, payload, at);
    await send(event);
    await settle(event);
  }
  const like = (userId: string, review: Review) =>
    deliver('like.created', {
      userId,
      targetKind: 'REVIEW',
      targetId: review.id,
      at: new Date(clock).toISOString(),
    });
  const page = async (viewer: string | null, first = 20, after?: string) =>
    popularPage(review.deps, callerFor(viewer), { first, after });
  const ids = async (viewer: string | null) => (await page(viewer, 100)).edges.map((e) => e.node.id);

  it('has a starting worker ask for a first refresh once there are reviews, which the recommend job makes', async () => {
    const runs = async () =>
      Number(
        (
          (await ds().query(
            'SELECT COUNT(*) AS n FROM recommendation_runs WHERE finished_at IS NOT NULL',
          )) as Array<{
            n: unknown;
          }>
        )[0]!.n,
      );
    // The worker started on an empty database: nothing to rank, no refresh asked for.
    expect(await runs()).toBe(0);
    await refreshIfNeverRun(review.deps);
    expect(await runs()).toBe(0);
    const first = await productWithReview('First', randomUUID());
    await refreshIfNeverRun(review.deps);
    await eventually(async () => (await runs()) === 1, 20_000);
    expect((await page(null)).edges.map((e) => e.node.id)).toEqual([first.id]);
    // Once one has run, a start asks for nothing more (the schedule takes over).
    await refreshIfNeverRun(review.deps);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await runs()).toBe(1);
  });

  it('keeps each like, scrap and comment on a review as the latest event says; posts are not its concern', async () => {
    const [user, author] = [randomUUID(), randomUUID()];
    const target = await productWithReview('Log tea', author);
    const about = { userId: user, targetKind: 'REVIEW' as const, targetId: target.id };
    await deliver('like.deleted', about, 502);
    await deliver('like.created', about, 501); // older than the unlike: the unlike stands
    await deliver('scrap.created', { ...about, at: '2026-01-02T03:04:05.000Z' }, 503);
    const [c1, c2] = [randomUUID(), randomUUID()];
    await deliver('comment.created', { ...about, commentId: c1 }, 504);
    await deliver('comment.created', { ...about, commentId: c2 }, 505);
    await deliver('comment.deleted', { ...about, commentId: c1 }, 506);
    await deliver('like.created', { userId: user, targetKind: 'POST', targetId: randomUUID() }, 507);
    const rows = await ds()
      .getRepository(InteractionEntity)
      .find({ where: { userId: user } });
    const state = Object.fromEntries(rows.map((r) => [`${r.kind}:${r.ref}`, r.active]));
    expect(state).toEqual({
      'LIKE:': false,
      'SCRAP:': true,
      [`COMMENT:${c1}`]: false,
      [`COMMENT:${c2}`]: true,
    });
    expect(rows.find((r) => r.kind === 'SCRAP')!.at.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(rows.every((r) => r.reviewId === target.id)).toBe(true);

    // A like announced again (npm run reindex) keeps when it was made, also from an older producer
    // that sends no time.
    const fan = { userId: randomUUID(), targetKind: 'REVIEW' as const, targetId: target.id };
    await deliver('like.created', { ...fan, at: '2026-03-04T05:06:07.000Z' }, 508);
    await deliver('like.created', { ...fan, at: '2026-03-04T05:06:07.000Z' }, 509);
    await deliver('like.created', fan, 510);
    const again = await ds().getRepository(InteractionEntity).findOneByOrFail({ userId: fan.userId });
    expect(again).toMatchObject({ active: true, version: '510' });
    expect(again.at.toISOString()).toBe('2026-03-04T05:06:07.000Z');
  });

  describe('a hand-made graph of tastes', () => {
    // Ramen fans like Ramen, Gyoza and Kimchi; cake fans like Cake and Tart. The viewer liked
    // Ramen: Gyoza (liked by three who liked Ramen) comes before Kimchi (one), cakes after both.
    const people = Array.from({ length: 8 }, () => randomUUID());
    const [viewer, f1, f2, f3, f4, c1, c2, newcomer] = people as [string, ...string[]];
    const authors = {
      ramen: randomUUID(),
      gyoza: randomUUID(),
      kimchi: randomUUID(),
      cake: randomUUID(),
      tart: randomUUID(),
    };
    const r: Record<string, Review> = {};

    beforeAll(async () => {
      for (const [name, author] of Object.entries(authors)) r[name] = await productWithReview(name, author);
      for (const fan of [f1!, f2!, f3!]) for (const name of ['ramen', 'gyoza']) await like(fan, r[name]!);
      for (const name of ['ramen', 'kimchi']) await like(f4!, r[name]!);
      for (const fan of [c1!, c2!]) for (const name of ['cake', 'tart']) await like(fan, r[name]!);
      await like(viewer!, r.ramen!);
      await refreshPopular(review.deps);
    });

    it('ranks what people who liked the same thing liked first, with the reason', async () => {
      const first = await page(viewer!, 3);
      expect(first.edges.map((e) => e.node.id).slice(0, 2)).toEqual([r.gyoza!.id, r.kimchi!.id]);
      expect(first.edges[0]!.node.recommended).toEqual({
        reasonId: r.ramen!.productId,
        reasonKind: 'PRODUCT',
      });
      // Never what they liked already (Ramen).
      expect(await ids(viewer!)).not.toContain(r.ramen!.id);
    });

    it('gives a newcomer and an anonymous viewer the trending list: most engagement first', async () => {
      const trending = await ids(null);
      expect(await ids(newcomer!)).toEqual(trending);
      // Ramen has five likes, Gyoza three, Cake and Tart two, Kimchi one.
      const named = new Set(Object.values(r).map((review) => review.id));
      const ranked = trending.filter((id) => named.has(id));
      expect(ranked).toHaveLength(5);
      expect(ranked.slice(0, 2)).toEqual([r.ramen!.id, r.gyoza!.id]);
      expect(ranked.at(-1)).toBe(r.kimchi!.id);
      expect((await page(null)).edges.every((e) => e.node.recommended?.reasonId === null)).toBe(true);
    });

    it('never shows the viewer’s own reviews, hidden ones, or those by people they block', async () => {
      // The viewer reviews Tart themselves: neither their review nor another of Tart in their list.
      await addReview(r.tart!.productId!, viewer!);
      // And Mochi, a hit: trending for everyone else.
      const own = await productWithReview('Mochi', viewer!);
      for (const fan of [c1!, c2!, f4!]) await like(fan, own);
      const hidden = await addReview(r.kimchi!.productId!, randomUUID(), 5, true);
      await refreshPopular(review.deps);
      for (const who of [viewer!, null, newcomer!]) expect(await ids(who)).not.toContain(hidden.id);
      const mine = await ids(viewer!);
      expect(mine).not.toContain(own.id);
      expect(mine).not.toContain(r.tart!.id);
      expect(await ids(null)).toContain(own.id);
      // A viewer served the trending list (no list of their own) never sees their own review in it.
      await ds().query('DELETE FROM recommendations WHERE viewer_id = ?', [viewer]);
      expect(await ids(viewer!)).toEqual((await ids(null)).filter((id) => id !== own.id));
      // Hidden after the refresh: gone at once, without one.
      await ds().getRepository(ReviewEntity).update({ id: r.kimchi!.id }, { hidden: true });
      expect(await ids(viewer!)).not.toContain(r.kimchi!.id);
      expect(await ids(null)).not.toContain(r.kimchi!.id);
      await ds().getRepository(ReviewEntity).update({ id: r.kimchi!.id }, { hidden: false });
      // Blocked after the refresh: gone at once too.
      const block = envelope('block.created', { blockerId: viewer!, blockedId: authors.gyoza }, sequence++);
      await send(block);
      await settle(block);
      expect(await ids(viewer!)).not.toContain(r.gyoza!.id);
      expect(await ids(f1!)).not.toContain(r.ramen!.id); // f1's own like of ramen: seen already
    });

    it('shows one review per subject and pages through one run while a newer one is published', async () => {
      for (const name of ['gyoza', 'kimchi', 'cake']) await addReview(r[name]!.productId!, randomUUID());
      await refreshPopular(review.deps);
      const all = (await page(newcomer!, 100)).edges.map((e) => e.node);
      const subjects = all.map((n) => n.productId);
      expect(new Set(subjects).size).toBe(subjects.length);
      expect(all.length).toBeLessThanOrEqual(LIST_LENGTH);

      const seen: string[] = [];
      let after: string | undefined;
      const one = await page(newcomer!, 2);
      seen.push(...one.edges.map((e) => e.node.id));
      after = one.pageInfo.endCursor!;
      // A refresh with a new favourite in between: the pages after it still follow the first run.
      const fresh = await productWithReview('Bingsu', randomUUID());
      for (const p of people.slice(1, 7)) await like(p, fresh);
      await refreshPopular(review.deps);
      expect((await ids(newcomer!))[0]).toBe(fresh.id);
      for (;;) {
        const next = await page(newcomer!, 2, after);
        seen.push(...next.edges.map((e) => e.node.id));
        if (!next.pageInfo.hasNextPage) break;
        after = next.pageInfo.endCursor!;
      }
      expect(seen).toEqual(all.map((n) => n.id));
    });

    it('refuses a cursor that is not one, another viewer’s, or one whose run is gone', async () => {
      const mine = (await page(viewer!, 1)).pageInfo.endCursor!;
      await expect(page(viewer!, 1, 'nonsense')).rejects.toThrow('after is not a cursor of the popular tab');
      await expect(page(f1!, 1, mine)).rejects.toThrow('another viewer');
      await expect(page(viewer!, 101)).rejects.toThrow('first must be between 1 and 100');
      // The run ends its hour after being replaced: the next refresh forgets it.
      await refreshPopular(review.deps);
      await ds().query(
        'UPDATE recommendation_runs SET superseded_at = ? WHERE superseded_at IS NOT NULL',
        sqlParams(ds(), [new Date(Date.now() - 2 * RUN_RETENTION_MS)]),
      );
      await refreshPopular(review.deps);
      await expect(page(viewer!, 1, mine)).rejects.toThrow('expired: load the tab from the start');
      // Its lists went with it (deleted a hundred viewers at a time).
      const [left] = (await ds().query('SELECT COUNT(*) AS n FROM recommendations WHERE version = ?', [
        decodeRankedCursor(mine).id,
      ])) as Array<{ n: unknown }>;
      expect(Number(left!.n)).toBe(0);
      const [runs] = (await ds().query('SELECT COUNT(*) AS n FROM recommendation_runs')) as Array<{
        n: unknown;
      }>;
      expect(Number(runs!.n)).toBe(2); // the current run and the one it just replaced
    });

    it('serves only finished runs: one that never finished leaves the lists as they were', async () => {
      const before = await ids(viewer!);
      const broken = randomUUID();
      await ds().query(
        'INSERT INTO recommendation_runs (version, started_at) VALUES (?, ?)',
        sqlParams(ds(), [broken, new Date('2099-01-01T00:00:00Z')]),
      );
      await ds().query(
        'INSERT INTO recommendations (version, viewer_id, position, review_id, reason_id, reason_kind) VALUES (?, ?, 1, ?, NULL, NULL)',
        [broken, viewer, r.cake!.id],
      );
      expect(await ids(viewer!)).toEqual(before);
    });

    it('serves the refresh that started last when two overlap, whichever finishes first', async () => {
      const current = async () =>
        (
          (await ds().query(
            'SELECT version FROM recommendation_runs WHERE finished_at IS NOT NULL AND superseded_at IS NULL',
          )) as Array<{ version: string }>
        ).map((r) => r.version);
      const newer = await refreshPopular(review.deps, new Date(Date.now() + 60_000));
      // An older snapshot (it read the tables earlier) finishing after it does not replace it.
      const older = await refreshPopular(review.deps, new Date(Date.now() - 60_000));
      expect(await current()).toEqual([newer.version]);
      const cursor = (await page(viewer!, 1)).pageInfo.endCursor!;
      expect(decodeRankedCursor(cursor).id).toBe(newer.version);
      expect(older.version).not.toBe(newer.version);
    });
  });
});
