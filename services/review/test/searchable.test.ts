import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoData } from '@moim/demo';
import type { SearchableChange, SearchDocument, SearchKind } from '@moim/events';
import { fetchSearchablePage, OutboxEvent, startService, type BackendKind, type Caller } from '@moim/kit';
import { eventFeed, openTestBackend, TEST_SECRET, testEnv, type TestBackend } from '@moim/kit/testing';
import {
  KnownUserEntity,
  PlaceEntity,
  ProductEntity,
  ReviewEntity,
  seed,
  service,
  type Review,
  type ReviewService,
} from '../src';
import {
  adminCreateReview,
  createReview,
  deleteReview,
  setHidden,
  updateReview,
} from '../src/domain/reviews';
import { createPlace, createProduct } from '../src/domain/subjects';

// What review tells search (issue 21), read back from its outbox: reviews through their life, and
// places and products with their count of visible reviews whenever it changes (in parallel too);
// and the pages `npm run reindex` reads, signed as the kit's client signs them. On both backends.
describe.each<BackendKind>(['servers', 'embedded'])('on the %s backend', (kind) => {
  let test: TestBackend;
  let review: ReviewService;
  let url: string;

  beforeAll(async () => {
    test = await openTestBackend(kind);
    const config = service.loadEnv(testEnv({ ...test.env, DATABASE_URL: await test.databaseUrl('review') }));
    review = await startService(service.define(config), config, { backend: test.backend, role: 'all' });
    url = await review.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await review?.stop();
    await test?.cleanUp();
  });

  const outbox = () => review.deps.db.dataSource.getRepository(OutboxEvent);
  const lastSeq = async () =>
    ((await outbox().createQueryBuilder('e').select('MAX(e.seq)', 'last').getRawOne()) as { last: unknown })
      .last ?? 0;
  /** The searchable.changed events recorded since `seq`, oldest first. */
  const recordedSince = async (seq: unknown) =>
    (
      await outbox()
        .createQueryBuilder('e')
        .where('e.seq > :seq AND e.topic = :topic', { seq, topic: 'searchable.changed' })
        .orderBy('e.seq', 'ASC')
        .getMany()
    ).map((row) => JSON.parse(row.payload) as { changes: SearchableChange[] });
  async function recordedBy(work: () => Promise<unknown>) {
    const seq = await lastSeq();
    await work();
    return recordedSince(seq);
  }
  const changed = (...changes: SearchableChange[]) => ({ changes });
  const reviewDoc = (
    r: Pick<Review, 'id' | 'title' | 'body' | 'authorId' | 'createdAt'>,
  ): SearchableChange => ({
    kind: 'REVIEW',
    id: r.id,
    document: {
      kind: 'REVIEW',
      id: r.id,
      title: r.title ?? '',
      body: r.body,
      authorId: r.authorId,
      popularity: 0,
      createdAt: r.createdAt.toISOString(),
    },
  });
  const subjectDoc = (
    kind: 'PLACE' | 'PRODUCT',
    s: { id: string; name: string; createdAt: Date },
    body: string,
    popularity: number,
  ): SearchableChange => ({
    kind,
    id: s.id,
    document: {
      kind,
      id: s.id,
      title: s.name,
      body,
      authorId: null,
      popularity,
      createdAt: s.createdAt.toISOString(),
    },
  });
  const gone = (kind: SearchKind, id: string): SearchableChange => ({ kind, id, document: null });
  const as = (userId: string, role: Caller['role'] = 'USER'): Caller => ({
    userId,
    role,
    ip: null,
    requestId: 'test',
  });
  const { envelope, send, settle } = eventFeed(() => ({ queues: test.backend.queues, service: review }));

  it('announces places and products with their visible review count, again whenever a review changes it', async () => {
    const owner = randomUUID();
    const author = randomUUID();
    let place!: Awaited<ReturnType<typeof createPlace>>;
    expect(
      await recordedBy(async () => {
        place = await createPlace(review.deps, owner, {
          name: 'Onion',
          address: 'Seongsu-dong',
          category: 'cafe',
        });
      }),
    ).toEqual([changed(subjectDoc('PLACE', place, 'Seongsu-dong · cafe', 0))]);
    const placeDoc = (n: number) => subjectDoc('PLACE', place, 'Seongsu-dong · cafe', n);

    let first!: Review;
    expect(
      await recordedBy(async () => {
        first = await createReview(review.deps, author, {
          kind: 'DADALOG',
          title: 'Best croissant',
          body: 'Flaky and buttery',
          rating: 5,
          placeId: place.id,
        });
      }),
    ).toEqual([changed(reviewDoc(first), placeDoc(1))]);
    let second!: Review;
    expect(
      await recordedBy(async () => {
        second = await createReview(review.deps, author, {
          kind: 'SOSOLOG',
          body: 'Too crowded',
          rating: 3,
          placeId: place.id,
        });
      }),
    ).toEqual([changed(reviewDoc(second), placeDoc(2))]);

    // An edit changes no count.
    expect(
      await recordedBy(() => updateReview(review.deps, as(author), first.id, { body: 'Flaky!' })),
    ).toEqual([changed(reviewDoc({ ...first, body: 'Flaky!' }))]);

    // Hidden: no document, one review fewer; hidden again changes nothing; shown: back.
    const admin = randomUUID();
    expect(await recordedBy(() => setHidden(review.deps, admin, second.id, true))).toEqual([
      changed(gone('REVIEW', second.id), placeDoc(1)),
    ]);
    expect(await recordedBy(() => setHidden(review.deps, admin, second.id, true))).toEqual([]);
    // An edit of a hidden review keeps it out of search.
    expect(
      await recordedBy(() => updateReview(review.deps, as(author), second.id, { body: 'Calmer now' })),
    ).toEqual([changed(gone('REVIEW', second.id))]);
    expect(await recordedBy(() => setHidden(review.deps, admin, second.id, false))).toEqual([
      changed(reviewDoc({ ...second, body: 'Calmer now' }), placeDoc(2)),
    ]);

    // A report resolved with HIDE, through review's consumer as social's event arrives.
    const seq = await lastSeq();
    const hide = envelope('report.resolved', {
      reportId: randomUUID(),
      targetId: second.id,
      targetKind: 'REVIEW',
      action: 'HIDE',
      adminId: admin,
    });
    await send(hide);
    await settle(hide);
    expect(await recordedSince(seq)).toEqual([changed(gone('REVIEW', second.id), placeDoc(1))]);

    // Deleting the hidden one changes no count; deleting the visible one does.
    expect(await recordedBy(() => deleteReview(review.deps, as(author), second.id))).toEqual([
      changed(gone('REVIEW', second.id)),
    ]);
    expect(await recordedBy(() => deleteReview(review.deps, as(author), first.id))).toEqual([
      changed(gone('REVIEW', first.id), placeDoc(0)),
    ]);

    // Products the same way; an admin writes for a user social announced.
    let product!: Awaited<ReturnType<typeof createProduct>>;
    expect(
      await recordedBy(async () => {
        product = await createProduct(review.deps, owner, {
          name: 'Shin Ramyun',
          brand: 'Nongshim',
          category: 'food',
        });
      }),
    ).toEqual([changed(subjectDoc('PRODUCT', product, 'Nongshim · food', 0))]);
    await review.deps.db.dataSource.getRepository(KnownUserEntity).insert({ id: author });
    let written!: Review;
    expect(
      await recordedBy(async () => {
        written = await adminCreateReview(review.deps, admin, author, {
          kind: 'SOSOLOG',
          body: 'Spicy',
          rating: 4,
          productId: product.id,
        });
      }),
    ).toEqual([changed(reviewDoc(written), subjectDoc('PRODUCT', product, 'Nongshim · food', 1))]);
    let plain!: Awaited<ReturnType<typeof createProduct>>;
    expect(
      await recordedBy(async () => {
        plain = await createProduct(review.deps, owner, { name: 'Banana milk', category: 'drink' });
      }),
    ).toEqual([changed(subjectDoc('PRODUCT', plain, 'drink', 0))]);
  });

  it('announces the right count last when reviews of one place are written, hidden and deleted at once', async () => {
    const place = await createPlace(review.deps, randomUUID(), { name: 'Busy', category: 'bar' });
    const seq = await lastSeq();
    const author = randomUUID();
    const write = (n: number) =>
      createReview(review.deps, author, {
        kind: 'SOSOLOG',
        body: `visit ${n}`,
        rating: 4,
        placeId: place.id,
      });
    const made = await Promise.all([1, 2, 3, 4, 5, 6].map(write));
    await Promise.all([
      setHidden(review.deps, randomUUID(), made[0]!.id, true),
      deleteReview(review.deps, as(author), made[1]!.id),
      ...[7, 8].map(write),
    ]);
    const counts = (await recordedSince(seq)).flatMap((e) =>
      e.changes.filter((c) => c.id === place.id).map((c) => c.document!.popularity),
    );
    // Ten changes, each announced with the count it left; the last is the truth: 8 − 2.
    expect(counts).toHaveLength(10);
    expect(counts.at(-1)).toBe(6);
    expect(
      await review.deps.db.dataSource
        .getRepository(ReviewEntity)
        .countBy({ placeId: place.id, hidden: false }),
    ).toBe(6);
  });

  it('seeds the demo reviews and products, each product with its count', async () => {
    const [u1, u2] = [randomUUID(), randomUUID()];
    const demo = {
      users: [],
      follows: [],
      posts: [],
      places: [],
      ids: new Map([
        ['u1', u1],
        ['u2', u2],
      ]),
      products: [
        { key: 'p1', name: `Movie ${randomUUID()}`, category: 'movie', ownerKey: 'u1' },
        { key: 'p2', name: 'Another movie', category: 'movie', ownerKey: 'u1' },
        { key: 'p3', name: 'Nobody saw it', category: 'movie', ownerKey: 'u1' },
      ],
      // Several in one statement: the ids must stay with their rows (see insertReviews).
      reviews: [0, 1, 2, 3, 4, 5, 6].map((n) => ({
        authorKey: n % 2 ? 'u2' : 'u1',
        productKey: n < 6 ? 'p1' : 'p2',
        kind: 'SOSOLOG' as const,
        title: null,
        body: `review ${n}`,
        rating: 4,
        at: new Date(Date.UTC(2010 + n, 0, 1)),
      })),
    } satisfies DemoData;
    // The reviews (the demo's thousands would make several events), then the products, counted.
    const [reviewed, counted, ...rest] = await recordedBy(() => seed(review.deps, demo));
    expect(rest).toEqual([]);
    const reviews = await review.deps.db.dataSource
      .getRepository(ReviewEntity)
      .find({ where: [{ authorId: u1 }, { authorId: u2 }], order: { createdAt: 'ASC' } });
    expect(reviewed).toEqual(changed(...reviews.map(reviewDoc)));
    const products = await review.deps.db.dataSource.getRepository(ProductEntity).findBy({ createdBy: u1 });
    expect(counted!.changes).toHaveLength(3);
    const popularity = new Map([
      [demo.products[0]!.name, 6],
      ['Another movie', 1],
      ['Nobody saw it', 0],
    ]);
    expect(counted!.changes).toEqual(
      expect.arrayContaining(products.map((p) => subjectDoc('PRODUCT', p, 'movie', popularity.get(p.name)!))),
    );
  });

  it('serves every visible review, place and product for reindexing, each once, as the events announce them', async () => {
    const place = await createPlace(review.deps, randomUUID(), { name: 'Paged', category: 'cafe' });
    const author = randomUUID();
    const made: Review[] = [];
    for (const n of [1, 2, 3])
      made.push(
        await createReview(review.deps, author, {
          kind: 'SOSOLOG',
          body: `n${n}`,
          rating: 4,
          placeId: place.id,
        }),
      );
    await setHidden(review.deps, randomUUID(), made[0]!.id, true);
    await deleteReview(review.deps, as(author), made[1]!.id);

    const all = async (kind: SearchKind, limit: number) => {
      const documents: SearchDocument[] = [];
      let after: string | null = null;
      do {
        const page = await fetchSearchablePage(url, TEST_SECRET, { kind, after, limit });
        documents.push(...page.documents);
        after = page.next;
      } while (after);
      return documents;
    };
    const { dataSource } = review.deps.db;
    const byId = <T extends { id: string }>(rows: T[]) => rows.sort((a, b) => (a.id < b.id ? -1 : 1));
    const reviews = await all('REVIEW', 2);
    const visible = byId(await dataSource.getRepository(ReviewEntity).findBy({ hidden: false }));
    expect(reviews).toEqual(visible.map((r) => reviewDoc(r).document));
    expect(reviews.map((d) => d.id)).toContain(made[2]!.id);
    expect(reviews.map((d) => d.id)).not.toContain(made[0]!.id);
    expect(reviews.map((d) => d.id)).not.toContain(made[1]!.id);

    const places = await all('PLACE', 1);
    expect(places.map((d) => d.id)).toEqual(
      byId(await dataSource.getRepository(PlaceEntity).find()).map((p) => p.id),
    );
    expect(places.find((d) => d.id === place.id)).toEqual(subjectDoc('PLACE', place, 'cafe', 1).document);
    // What the last event said of each place is what the page says.
    const announced = new Map<string, SearchDocument | null>();
    for (const event of await recordedSince(0))
      for (const c of event.changes) if (c.kind === 'PLACE') announced.set(c.id, c.document);
    for (const d of places) expect(announced.get(d.id)).toEqual(d);

    const products = await all('PRODUCT', 1000);
    expect(products.map((d) => d.id)).toEqual(
      byId(await dataSource.getRepository(ProductEntity).find()).map((p) => p.id),
    );
  });
});
