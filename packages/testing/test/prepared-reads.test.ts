import { In, type SelectQueryBuilder } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_LOGIN, DEMO_LOGIN, seedDemo } from '@moim/demo';
import {
  afterKeyset,
  connectionLoader,
  countLoader,
  createLogger,
  encodeCursor,
  isAdmin,
  keyedLoader,
  loadPages,
  newestFirst,
  newestPerParent,
  newId,
  pageOf,
  requireUser,
  type Caller,
  type Connection,
  type Keyset,
  type PageArgs,
} from '@moim/kit';
import {
  BlockEdgeEntity,
  createLoaders as reviewLoaders,
  feedPage,
  FollowEdgeEntity,
  PlaceEntity,
  ProductEntity,
  ReviewEntity,
  type FeedTab,
  type Review,
  type ReviewDeps,
} from '@moim/review';
import { createLoaders as socialLoaders, FollowEntity, UserEntity, type SocialDeps } from '@moim/social';
import { startGraph, type Graph } from '../src';

// The feed, the nested review pages and the `__resolveReference` loaders read through written SQL
// and the kit's rowReader. The TypeORM versions they replaced are kept below as the reference: on
// the demo data, both must give the same rows in the same order with the same cursors, in no more
// statements.

let graph: Graph;
const review = () => graph.service<ReviewDeps>('review');
const social = () => graph.service<SocialDeps>('social');

// ---------------------------------------------------------------------------------------------
// The reference: review's and social's reads as TypeORM built them before the written SQL.

function refVisibility(qb: SelectQueryBuilder<Review>, caller: Caller, showHidden = isAdmin(caller)) {
  if (!showHidden) qb.andWhere('r.hidden = :hidden', { hidden: false });
  if (caller.userId)
    qb.andWhere(
      `NOT EXISTS (SELECT 1 FROM ${BlockEdgeEntity.options.tableName} b WHERE b.blocker_id = :viewerId ` +
        'AND b.blocked_id = r.author_id AND b.active = :blocking)',
      { viewerId: caller.userId, blocking: true },
    );
}

async function refFeedPage(
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
      { viewerId, active: true },
    );
  }
  // Feeds leave hidden reviews out for admins too.
  refVisibility(qb, caller, false);
  return newestFirst(qb, 'r', page);
}

type Parent = 'author_id' | 'place_id' | 'product_id';

function refReviewsOf(
  deps: ReviewDeps,
  caller: Caller,
  parent: Parent,
  loadReviews: (ids: string[]) => Promise<Array<Review | null>>,
) {
  return async (parentIds: readonly string[], size: number, after: Keyset | null) => {
    const qb = deps.db.dataSource.getRepository(ReviewEntity).createQueryBuilder('r');
    refVisibility(qb, caller);
    afterKeyset(qb, after, 'r');
    const pages = await newestPerParent(qb, { alias: 'r', parent, id: 'id' }, parentIds, size + 1);
    return loadPages(pages, loadReviews, (_, r) => r);
  };
}

function refReviewLoaders(deps: ReviewDeps, caller: Caller) {
  const ds = deps.db.dataSource;
  const reviews = ds.getRepository(ReviewEntity);
  const countBy = (column: Parent) =>
    countLoader<string>((ids) => {
      const qb = reviews
        .createQueryBuilder('r')
        .select(`r.${column}`, 'key')
        .addSelect('COUNT(*)', 'count')
        .where(`r.${column} IN (:...ids)`, { ids });
      if (!isAdmin(caller)) qb.andWhere('r.hidden = :hidden', { hidden: false });
      return qb.groupBy(`r.${column}`).getRawMany();
    });
  const review = keyedLoader(
    (ids: readonly string[]) => reviews.findBy({ id: In([...ids]) }),
    (r) => r.id,
  );
  const loadReviews = async (ids: string[]) =>
    (await review.loadMany(ids)).map((r) => (r instanceof Error ? null : r));
  const pagesBy = (parent: Parent) =>
    connectionLoader(refReviewsOf(deps, caller, parent, loadReviews), (r: Review) => r);
  return {
    reviewsByAuthor: pagesBy('author_id'),
    reviewsByPlace: pagesBy('place_id'),
    reviewsByProduct: pagesBy('product_id'),
    review,
    place: keyedLoader(
      (ids) => ds.getRepository(PlaceEntity).findBy({ id: In([...ids]) }),
      (p) => p.id,
    ),
    product: keyedLoader(
      (ids) => ds.getRepository(ProductEntity).findBy({ id: In([...ids]) }),
      (p) => p.id,
    ),
    reviewCountByAuthor: countBy('author_id'),
    reviewCountByPlace: countBy('place_id'),
    reviewCountByProduct: countBy('product_id'),
  };
}

function refSocialLoaders(deps: SocialDeps) {
  const ds = deps.db.dataSource;
  const countBy = (column: 'follower_id' | 'followee_id') =>
    countLoader<string>((ids) =>
      ds
        .getRepository(FollowEntity)
        .createQueryBuilder('f')
        .select(`f.${column}`, 'key')
        .addSelect('COUNT(*)', 'count')
        .where(`f.${column} IN (:...ids)`, { ids })
        .groupBy(`f.${column}`)
        .getRawMany(),
    );
  return {
    user: keyedLoader(
      (ids: readonly string[]) => ds.getRepository(UserEntity).findBy({ id: In([...ids]) }),
      (u) => u.id,
    ),
    followerCount: countBy('followee_id'),
    followingCount: countBy('follower_id'),
  };
}

// ---------------------------------------------------------------------------------------------

/** Runs `reference` then `prepared` and checks they agree, the prepared one in no more statements. */
async function same<T>(
  db: { queryCount(): number },
  reference: () => Promise<T>,
  prepared: () => Promise<T>,
): Promise<{ value: T; before: number; after: number }> {
  await graph.settled(); // background work is not counted, but let it be quiet
  let start = db.queryCount();
  const expected = await reference();
  const before = db.queryCount() - start;
  start = db.queryCount();
  const actual = await prepared();
  const after = db.queryCount() - start;
  expect(actual).toEqual(expected);
  expect(after).toBeLessThanOrEqual(before);
  return { value: actual, before, after };
}

const callerOf = (userId: string | null, role: Caller['role'] = userId ? 'USER' : null): Caller => ({
  userId,
  role,
  ip: null,
  requestId: newId(),
});

let anonymous: Caller;
let demo: Caller;
let admin: Caller;
/** Someone who blocks the most prolific reviewer (and once blocked, then unblocked, another). */
let blocker: Caller;
let authorIds: string[];
let productIds: string[];
let placeIds: string[];
let userIds: string[];
/** Two reviews of the first place at the same millisecond: the id breaks the tie. */
let tie: Keyset;

beforeAll(async () => {
  graph = await startGraph();
  await seedDemo(graph.services, createLogger('prepared-reads-test', 'silent'));
  // Thousands of events (every review to social, search): on a busy machine more than the usual 20 s.
  await graph.settled(120_000);

  const users = social().deps.db.dataSource.getRepository(UserEntity);
  const idOf = async (email: string) => (await users.findOneByOrFail({ email })).id;
  demo = callerOf(await idOf(DEMO_LOGIN.email));
  admin = callerOf(await idOf(ADMIN_LOGIN.email), 'ADMIN');
  anonymous = callerOf(null);
  blocker = callerOf(newId());
  userIds = (await users.find({ select: { id: true } })).map((u) => u.id);

  const ds = review().deps.db.dataSource;
  const reviews = ds.getRepository(ReviewEntity);
  // Authors by number of reviews, most first.
  const perAuthor: Array<{ authorId: string }> = await reviews
    .createQueryBuilder('r')
    .select('r.author_id', 'authorId')
    .groupBy('r.author_id')
    .orderBy('COUNT(*)', 'DESC')
    .addOrderBy('r.author_id')
    .getRawMany();
  authorIds = perAuthor.map((a) => a.authorId);
  productIds = (await ds.getRepository(ProductEntity).find({ select: { id: true } })).map((p) => p.id);

  // The demo has no places: three, with reviews among the demo's dates, two at the same millisecond.
  const at = (iso: string) => new Date(iso);
  placeIds = [newId(), newId(), newId()];
  await ds.getRepository(PlaceEntity).insert(
    placeIds.map((id, i) => ({
      id,
      name: `Place ${i}`,
      address: i ? null : '1 Main St',
      category: 'cafe',
      latitude: i ? null : 37.5665,
      longitude: i ? null : 126.978,
      externalUrl: null,
      createdBy: authorIds[0]!,
      createdAt: at('2015-01-01T00:00:00.000Z'),
    })),
  );
  // By someone new (whom nobody follows or blocks), but for one by the most prolific reviewer.
  const placeAuthor = newId();
  const placeReview = (placeId: string, createdAt: Date, authorId = placeAuthor): Review => ({
    id: newId(),
    kind: 'SOSOLOG',
    title: null,
    body: `at ${placeId}`,
    rating: 4,
    placeId,
    productId: null,
    authorId,
    hidden: false,
    createdAt,
    updatedAt: createdAt,
  });
  const tieTime = at('2015-06-01T12:00:00.123Z');
  const placeRows = [
    placeReview(placeIds[0]!, tieTime),
    placeReview(placeIds[0]!, tieTime),
    placeReview(placeIds[0]!, at('2015-06-01T12:00:00.122Z')),
    placeReview(placeIds[0]!, at('2015-06-01T12:00:00.124Z'), authorIds[0]),
    placeReview(placeIds[0]!, at('2014-02-03T04:05:06.789Z')),
    placeReview(placeIds[1]!, at('2016-07-08T09:10:11.000Z')),
    placeReview(placeIds[2]!, at('2008-05-05T05:05:05.555Z')),
  ];
  // Taken before the insert: TypeORM's bulk insert on SQLite rewrites the ids of the objects it
  // was given (not of the rows it wrote).
  tie = { createdAt: tieTime, id: [placeRows[0]!.id, placeRows[1]!.id].sort().at(-1)! };
  await reviews.insert(placeRows);

  // Hidden reviews: the newest of all, and the two newest of the most prolific reviewer.
  const newest = await reviews.find({ order: { createdAt: 'DESC', id: 'DESC' }, take: 1 });
  const prolific = await reviews.find({
    where: { authorId: authorIds[0]! },
    order: { createdAt: 'DESC', id: 'DESC' },
    take: 2,
  });
  await reviews.update({ id: In([...newest, ...prolific].map((r) => r.id)) }, { hidden: true });

  // Block edges: the blocker blocks the most prolific reviewer, and no longer the second; the
  // demo user blocks one of the people they follow (not the most prolific).
  const followees = await ds
    .getRepository(FollowEdgeEntity)
    .findBy({ followerId: demo.userId!, active: true });
  expect(followees.length).toBe(10);
  await ds.getRepository(BlockEdgeEntity).insert([
    { blockerId: blocker.userId!, blockedId: authorIds[0]!, active: true, version: '1' },
    { blockerId: blocker.userId!, blockedId: authorIds[1]!, active: false, version: '2' },
    {
      blockerId: demo.userId!,
      blockedId: followees.find((f) => f.followeeId !== authorIds[0])!.followeeId,
      active: true,
      version: '3',
    },
  ]);
}, 180_000);
afterAll(() => graph?.stop());

const callers = () => ({ anonymous, demo, admin, blocker });

describe('the feed', () => {
  it.each(['anonymous', 'demo', 'admin', 'blocker'] as const)(
    'reads the same LATEST pages for the %s caller, ten pages of 100 deep',
    async (who) => {
      const caller = callers()[who];
      const deps = review().deps;
      const first = await same(
        deps.db,
        () => refFeedPage(deps, caller, 'LATEST', { first: 20 }),
        () => feedPage(deps, caller, 'LATEST', { first: 20 }),
      );
      expect(first.value.edges).toHaveLength(20);
      expect(first.after).toBe(1);
      let after: string | null = null;
      const seen: Review[] = [];
      for (let page = 0; page < 10; page++) {
        const args: PageArgs = { first: 100, after };
        const { value }: { value: Connection<Review> } = await same(
          deps.db,
          () => refFeedPage(deps, caller, 'LATEST', args),
          () => feedPage(deps, caller, 'LATEST', args),
        );
        expect(value.edges).toHaveLength(100);
        expect(value.pageInfo.hasNextPage).toBe(true);
        seen.push(...value.edges.map((e) => e.node));
        after = value.pageInfo.endCursor;
      }
      expect(new Set(seen.map((r) => r.id)).size).toBe(1000);
      // What tells the callers apart is really on these pages.
      expect(seen.some((r) => r.hidden)).toBe(false);
      expect(seen.some((r) => r.authorId === authorIds[0])).toBe(who !== 'blocker');
    },
  );

  it('reads the same FOLLOWING pages, with the viewer’s blocks, and the last page', async () => {
    const deps = review().deps;
    for (const caller of [demo, admin, blocker]) {
      let after: string | null = null;
      let pages = 0;
      const authors = new Set<string>();
      do {
        const args: PageArgs = { first: 50, after };
        const { value }: { value: Connection<Review> } = await same(
          deps.db,
          () => refFeedPage(deps, caller, 'FOLLOWING', args),
          () => feedPage(deps, caller, 'FOLLOWING', args),
        );
        for (const e of value.edges) authors.add(e.node.authorId);
        after = value.pageInfo.hasNextPage ? value.pageInfo.endCursor : null;
        pages++;
      } while (after && pages < 50);
      expect(after).toBeNull();
      // The demo user follows ten reviewers and blocks one of them; the others follow no one.
      expect(authors.size).toBe(caller === demo ? 9 : 0);
    }
    await expect(feedPage(deps, anonymous, 'FOLLOWING', {})).rejects.toThrow();
  });

  it('reads the same page after a cursor that falls between two rows of the same millisecond', async () => {
    const deps = review().deps;
    const after = encodeCursor(tie);
    const { value } = await same(
      deps.db,
      () => refFeedPage(deps, anonymous, 'LATEST', { first: 5, after }),
      () => feedPage(deps, anonymous, 'LATEST', { first: 5, after }),
    );
    expect(value.edges[0]!.node.createdAt).toEqual(tie.createdAt);
  });
});

describe('nested review pages', () => {
  const lists = [
    ['reviewsByAuthor', () => [...authorIds, ...userIds, newId()]],
    ['reviewsByProduct', () => [...productIds, newId()]],
    ['reviewsByPlace', () => [...placeIds, newId()]],
  ] as const;

  it.each(lists)('reads the same %s pages for many parents, first and after a cursor', async (list, ids) => {
    const deps = review().deps;
    const parents = [...new Set(ids())];
    for (const caller of [anonymous, demo, admin, blocker]) {
      for (const args of [
        { first: 3 },
        { first: 3, after: encodeCursor(tie) },
        { first: 2, after: encodeCursor({ createdAt: new Date('2009-01-01T00:00:00Z'), id: tie.id }) },
      ]) {
        let loaders: ReturnType<typeof reviewLoaders> | undefined;
        const { value, before, after } = await same(
          deps.db,
          () => {
            const ref = refReviewLoaders(deps, caller);
            return Promise.all(parents.map((id) => ref[list](args).load(id)));
          },
          () => {
            loaders = reviewLoaders(deps, caller);
            return Promise.all(parents.map((id) => loaders![list](args).load(id)));
          },
        );
        // One statement per hundred parents, where the pages and then their reviews took two.
        expect(after).toBe(Math.ceil(parents.length / 100));
        expect(before).toBeGreaterThan(after);
        const nodes = value.flatMap((page) => page.edges.map((e) => e.node));
        expect(nodes.length).toBeGreaterThan(0);
        if (!('after' in args)) expect(value.some((page) => page.pageInfo.hasNextPage)).toBe(true);
        // The rows read are in the request's review loader: asking for them again is free.
        const start = deps.db.queryCount();
        expect(await loaders!.review.loadMany(nodes.map((n) => n.id))).toEqual(nodes);
        expect(deps.db.queryCount()).toBe(start);
      }
    }
  });

  it('orders a place’s reviews of the same millisecond by id, newest first', async () => {
    const page = await reviewLoaders(review().deps, admin).reviewsByPlace({ first: 10 }).load(placeIds[0]!);
    const times = page.edges.map((e) => e.node.createdAt.toISOString());
    expect(times).toEqual([
      '2015-06-01T12:00:00.124Z',
      '2015-06-01T12:00:00.123Z',
      '2015-06-01T12:00:00.123Z',
      '2015-06-01T12:00:00.122Z',
      '2014-02-03T04:05:06.789Z',
    ]);
    expect(page.edges[1]!.node.id > page.edges[2]!.node.id).toBe(true);
  });
});

describe('loaders by id and counts', () => {
  it('loads the same reviews, products and places for existing and missing ids', async () => {
    const deps = review().deps;
    const reviews = await deps.db.dataSource
      .getRepository(ReviewEntity)
      .find({ select: { id: true }, order: { id: 'ASC' } });
    const picks = <T>(items: T[], n: number) => items.filter((_, i) => i % Math.ceil(items.length / n) === 0);
    const missing = () => [newId(), newId()];
    const cases = [
      [
        'review',
        [
          ...picks(
            reviews.map((r) => r.id),
            40,
          ),
          ...missing(),
        ].reverse(),
      ],
      ['product', [...missing(), ...picks(productIds, 30)]],
      ['place', [placeIds[1]!, ...missing(), placeIds[0]!, placeIds[2]!]],
    ] as const;
    for (const [loader, ids] of cases) {
      const { value, before, after } = await same<unknown[]>(
        deps.db,
        () => refReviewLoaders(deps, anonymous)[loader].loadMany([...ids]),
        () => reviewLoaders(deps, anonymous)[loader].loadMany([...ids]),
      );
      expect([before, after]).toEqual([1, 1]);
      expect(value.filter((v) => v === null)).toHaveLength(2);
    }
  });

  it('counts the same reviews per author, product and place, with and without hidden ones', async () => {
    const deps = review().deps;
    const cases = [
      ['reviewCountByAuthor', [...authorIds, newId()]],
      ['reviewCountByProduct', [...productIds, newId()]],
      ['reviewCountByPlace', [...placeIds, newId()]],
    ] as const;
    for (const caller of [anonymous, admin])
      for (const [loader, ids] of cases) {
        const { value, before, after } = await same(
          deps.db,
          () => refReviewLoaders(deps, caller)[loader].loadMany(ids),
          () => reviewLoaders(deps, caller)[loader].loadMany(ids),
        );
        expect([before, after]).toEqual([1, 1]);
        expect(value.some((n) => typeof n === 'number' && n > 0)).toBe(true);
      }
  });

  it('loads the same users and follower and following counts in social', async () => {
    const deps = social().deps;
    const ids = [newId(), ...userIds, newId()];
    for (const loader of ['user', 'followerCount', 'followingCount'] as const) {
      const { value, before, after } = await same<unknown[]>(
        deps.db,
        () => refSocialLoaders(deps)[loader].loadMany(ids),
        () => socialLoaders(deps, demo.userId)[loader].loadMany(ids),
      );
      expect([before, after]).toEqual([1, 1]);
      expect(value).toHaveLength(ids.length);
    }
    const user = await socialLoaders(deps, null).user.load(demo.userId!);
    expect(user).toMatchObject({ id: demo.userId, email: DEMO_LOGIN.email, phoneVerifiedAt: null });
    expect(user!.createdAt).toBeInstanceOf(Date);
  });
});

describe('through the gateway', () => {
  /** SQL statements review sends for `query`. */
  async function reviewStatements(query: string): Promise<number> {
    await graph.settled();
    const start = review().deps.db.queryCount();
    const res = await graph.gql(query);
    expect(res.errors).toBeUndefined();
    return review().deps.db.queryCount() - start;
  }

  it('serves the feed in one statement, and its authors’ review pages in one more', async () => {
    expect(
      await reviewStatements(
        '{ feed(tab: LATEST, first: 20) { edges { node { id title rating author { id } } } } }',
      ),
    ).toBe(1);
    expect(
      await reviewStatements(`{ feed(tab: LATEST, first: 20) { edges { node { id title rating author { id
        reviews(first: 3) { edges { node { id title } } } } } } } }`),
    ).toBe(2);
  });
});
