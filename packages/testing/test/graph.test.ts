import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { In } from 'typeorm';
import { SERVICES } from '@moim/events';
import { OutboxEvent, ProcessedEvent, signAccessToken } from '@moim/kit';
import { eventually, TEST_JWT_SECRET } from '@moim/kit/testing';
import { FollowEdgeEntity, KnownUserEntity, ReviewEntity } from '@moim/review';
import { FollowEntity, UserEntity, type LocalSms, type SocialDeps } from '@moim/social';
import { startGraph, type Graph } from '../src';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

/** Messages social's local SMS adapter "sent". */
const sms = () => (graph.service<SocialDeps>('social').deps.sms as LocalSms).sent;

const CREATE_PLACE = 'mutation($input: CreatePlaceInput!) { createPlace(input: $input) { id name } }';
const CREATE_REVIEW =
  'mutation($input: CreateReviewInput!) { createReview(input: $input) { id kind title rating author { id nickname } } }';
const FEED = `query($tab: FeedTab!, $first: Int, $after: String) {
  feed(tab: $tab, first: $first, after: $after) {
    edges { cursor node { id title body hidden author { nickname } subject { __typename ... on Place { name } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

type FeedData = {
  feed: {
    edges: Array<{
      cursor: string;
      node: {
        id: string;
        title: string;
        body: string;
        hidden: boolean;
        author: { nickname: string };
        subject: { __typename: string; name?: string };
      };
    }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
};

async function placeBy(token: string, name = 'Cafe Onion') {
  const res = await graph.gql<{ createPlace: { id: string } }>(
    CREATE_PLACE,
    { input: { name, category: 'cafe', address: 'Seoul', latitude: 37.5, longitude: 127.0 } },
    token,
  );
  expect(res.errors).toBeUndefined();
  return res.data.createPlace.id;
}

async function reviewBy(token: string, placeId: string, title: string) {
  const res = await graph.gql<{ createReview: { id: string } }>(
    CREATE_REVIEW,
    { input: { kind: 'DADALOG', title, body: `${title}: the bread was great`, rating: 5, placeId } },
    token,
  );
  expect(res.errors).toBeUndefined();
  return res.data.createReview.id;
}

const reviewCount = () => graph.service('review').deps.db.dataSource.getRepository(ReviewEntity).count();
const codeOf = (res: { errors?: Array<{ extensions?: { code?: string } }> }) =>
  res.errors?.[0]?.extensions?.code;

describe('the graph through the gateway', () => {
  it('shows B’s new review in A’s FOLLOWING feed with the author resolved by social', async () => {
    const a = await graph.signUp('alice');
    const b = await graph.signUp('bob');
    const followed = await graph.gql<{
      follow: { nickname: string; viewerIsFollowing: boolean; followerCount: number };
    }>(
      'mutation($id: ID!) { follow(userId: $id) { nickname viewerIsFollowing followerCount } }',
      { id: b.id },
      a.token,
    );
    expect(followed.data.follow).toEqual({ nickname: 'bob', viewerIsFollowing: true, followerCount: 1 });

    const placeId = await placeBy(b.token);
    const reviewId = await reviewBy(b.token, placeId, 'Best croissant');

    // The follow reaches review through social's outbox and the queue, so it lands shortly after.
    const feed = await eventually(async () => {
      const res = await graph.gql<FeedData>(FEED, { tab: 'FOLLOWING', first: 10 }, a.token);
      return res.data.feed.edges.length ? res.data.feed : null;
    });
    expect(feed!.edges.map((e) => e.node)).toEqual([
      {
        id: reviewId,
        title: 'Best croissant',
        body: 'Best croissant: the bread was great',
        hidden: false,
        author: { nickname: 'bob' },
        subject: { __typename: 'Place', name: 'Cafe Onion' },
      },
    ]);

    // B's own FOLLOWING feed is empty: B follows nobody.
    const own = await graph.gql<FeedData>(FEED, { tab: 'FOLLOWING', first: 10 }, b.token);
    expect(own.data.feed.edges).toEqual([]);

    const following = await graph.gql<{
      me: {
        following: { edges: Array<{ node: { nickname: string; reviewCount: number } }> };
        followingCount: number;
      };
    }>(
      '{ me { followingCount following(first: 5) { edges { node { nickname reviewCount } } } } }',
      {},
      a.token,
    );
    expect(following.data.me).toEqual({
      followingCount: 1,
      following: { edges: [{ node: { nickname: 'bob', reviewCount: 1 } }] },
    });
  });

  it('shows an email to its owner and admins only', async () => {
    const signedUp = await graph.gql<{ signUp: { user: { email: string } } }>(
      'mutation { signUp(input: { email: "Zoe@Example.com", password: "long-enough-pw", nickname: "zoe" }) { user { id email } } }',
    );
    expect(signedUp.data.signUp.user.email).toBe('zoe@example.com');
    const other = await graph.signUp('yuri');
    const id = (
      await graph
        .service('social')
        .deps.db.dataSource.getRepository(UserEntity)
        .findOneByOrFail({ nickname: 'zoe' })
    ).id;
    const seen = await graph.gql<{ user: { email: string | null } }>(
      'query($id: ID!) { user(id: $id) { email } }',
      { id },
      other.token,
    );
    expect(seen.data.user.email).toBeNull();
    const admin = await graph.makeAdmin(other.id);
    expect(
      (
        await graph.gql<{ user: { email: string } }>(
          'query($id: ID!) { user(id: $id) { email } }',
          { id },
          admin,
        )
      ).data.user.email,
    ).toBe('zoe@example.com');
  });

  it('follows idempotently, even when the same follow arrives in parallel', async () => {
    const a = await graph.signUp('walter');
    const b = await graph.signUp('xena');
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        graph.gql<{ follow: { followerCount: number } }>(
          'mutation($id: ID!) { follow(userId: $id) { followerCount } }',
          { id: b.id },
          a.token,
        ),
      ),
    );
    expect(results.map((r) => r.errors)).toEqual(Array(6).fill(undefined));
    expect(results.map((r) => r.data.follow.followerCount)).toEqual(Array(6).fill(1));
    const events = await graph
      .service('social')
      .deps.db.dataSource.getRepository(OutboxEvent)
      .findBy({ topic: 'follow.created' });
    expect(events.filter((e) => JSON.parse(e.payload).followerId === a.id)).toHaveLength(1);
    const self = await graph.gql('mutation($id: ID!) { follow(userId: $id) { id } }', { id: a.id }, a.token);
    expect(self.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
    const nobody = await graph.gql(
      'mutation { follow(userId: "00000000-0000-4000-8000-000000000000") { id } }',
      {},
      a.token,
    );
    expect(codeOf(nobody)).toBe('NOT_FOUND');
  });

  it('survives follows and unfollows of one pair racing each other, and review ends where social did', async () => {
    const a = await graph.signUp('fern');
    const b = await graph.signUp('gus');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        graph.gql(
          `mutation($id: ID!) { ${i % 2 ? 'unfollow' : 'follow'}(userId: $id) { id } }`,
          { id: b.id },
          a.token,
        ),
      ),
    );
    expect(results.map((r) => r.errors)).toEqual(Array(20).fill(undefined));
    const following = await graph
      .service('social')
      .deps.db.dataSource.getRepository(FollowEntity)
      .existsBy({ followerId: a.id, followeeId: b.id });
    // Wait until every event of the pair has been published and applied, then compare end states.
    const events = (
      await graph
        .service('social')
        .deps.db.dataSource.getRepository(OutboxEvent)
        .find({ order: { seq: 'ASC' } })
    ).filter((e) => e.topic.startsWith('follow.') && JSON.parse(e.payload).followerId === a.id);
    expect(events.length).toBeGreaterThan(0);
    expect(events.at(-1)!.topic).toBe(following ? 'follow.created' : 'follow.deleted');
    const processed = graph.service('review').deps.db.dataSource.getRepository(ProcessedEvent);
    await eventually(
      async () => (await processed.countBy({ eventId: In(events.map((e) => e.id)) })) === events.length,
    );
    const edge = await graph
      .service('review')
      .deps.db.dataSource.getRepository(FollowEdgeEntity)
      .findOneByOrFail({ followerId: a.id, followeeId: b.id });
    expect(edge).toMatchObject({
      active: following,
      version: String(Math.max(...events.map((e) => Number(e.seq)))),
    });
  });

  it('unfollowing empties the FOLLOWING feed once review hears of it', async () => {
    const a = await graph.signUp('amos');
    const b = await graph.signUp('beth');
    await graph.gql('mutation($id: ID!) { follow(userId: $id) { id } }', { id: b.id }, a.token);
    await reviewBy(b.token, await placeBy(b.token, 'Beth Bakery'), 'Rye');
    await eventually(
      async () =>
        (await graph.gql<FeedData>(FEED, { tab: 'FOLLOWING', first: 5 }, a.token)).data.feed.edges.length ===
        1,
    );
    const unfollowed = await graph.gql<{ unfollow: { followerCount: number; viewerIsFollowing: boolean } }>(
      'mutation($id: ID!) { unfollow(userId: $id) { followerCount viewerIsFollowing } }',
      { id: b.id },
      a.token,
    );
    expect(unfollowed.data.unfollow).toEqual({ followerCount: 0, viewerIsFollowing: false });
    await eventually(
      async () =>
        (await graph.gql<FeedData>(FEED, { tab: 'FOLLOWING', first: 5 }, a.token)).data.feed.edges.length ===
        0,
    );
  });

  it('shows a place with its reviews, and lets the author delete one', async () => {
    const u = await graph.signUp('cleo');
    const placeId = await placeBy(u.token, 'Cleo Cafe');
    const first = await reviewBy(u.token, placeId, 'First visit');
    const second = await reviewBy(u.token, placeId, 'Second visit');
    const PLACE =
      'query($id: ID!) { place(id: $id) { name reviewCount reviews(first: 10) { edges { node { id } } } } }';
    const before = await graph.gql<{
      place: { name: string; reviewCount: number; reviews: { edges: Array<{ node: { id: string } }> } };
    }>(PLACE, { id: placeId });
    expect(before.data.place).toEqual({
      name: 'Cleo Cafe',
      reviewCount: 2,
      reviews: { edges: [{ node: { id: second } }, { node: { id: first } }] },
    });
    const deleted = await graph.gql<{ deleteReview: string }>(
      'mutation($id: ID!) { deleteReview(id: $id) }',
      { id: first },
      u.token,
    );
    expect(deleted.data.deleteReview).toBe(first);
    const after = await graph.gql<{ place: { reviewCount: number } }>(PLACE, { id: placeId });
    expect(after.data.place.reviewCount).toBe(1);
    expect(
      (await graph.gql<{ review: null }>('query($id: ID!) { review(id: $id) { id } }', { id: first })).data
        .review,
    ).toBeNull();
  });

  it('updates a profile, refusing a taken nickname', async () => {
    const u = await graph.signUp('dora');
    await graph.signUp('edgar');
    const UPDATE = 'mutation($input: UpdateProfileInput!) { updateProfile(input: $input) { nickname bio } }';
    const ok = await graph.gql<{ updateProfile: { nickname: string; bio: string } }>(
      UPDATE,
      { input: { nickname: 'dora_k', bio: '  빵 좋아해요 ' } },
      u.token,
    );
    expect(ok.data.updateProfile).toEqual({ nickname: 'dora_k', bio: '빵 좋아해요' });
    const taken = await graph.gql(UPDATE, { input: { nickname: 'edgar' } }, u.token);
    expect(taken.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'nickname' });
    expect(codeOf(await graph.gql(UPDATE, { input: { bio: 'x' } }))).toBe('UNAUTHENTICATED');
    const me = await graph.gql<{ me: { nickname: string } }>('{ me { nickname } }', {}, u.token);
    expect(me.data.me.nickname).toBe('dora_k');
  });

  it('needs a logged-in viewer for the FOLLOWING feed', async () => {
    const res = await graph.gql<FeedData>(FEED, { tab: 'FOLLOWING', first: 10 });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });

  it('pages LATEST with first/after: newest first, every review once', async () => {
    const c = await graph.signUp('carol');
    const placeId = await placeBy(c.token, 'Noodle Bar');
    for (let i = 0; i < 23; i++) await reviewBy(c.token, placeId, `Noodles ${i}`);
    const total = await reviewCount();

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: Awaited<ReturnType<typeof graph.gql<FeedData>>> = await graph.gql<FeedData>(FEED, {
        tab: 'LATEST',
        first: 10,
        after,
      });
      expect(res.errors).toBeUndefined();
      seen.push(...res.data.feed.edges.map((e) => e.node.id));
      after = res.data.feed.pageInfo.hasNextPage ? res.data.feed.pageInfo.endCursor : null;
      pages++;
    } while (after);

    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(total);
    expect(pages).toBe(Math.ceil(total / 10));
    const rows = await graph
      .service('review')
      .deps.db.dataSource.getRepository(ReviewEntity)
      .find({ order: { createdAt: 'DESC', id: 'DESC' } });
    expect(seen).toEqual(rows.map((r) => r.id));
  });

  it('refuses a page size over 100 and a garbage cursor', async () => {
    const tooMany = await graph.gql(FEED, { tab: 'LATEST', first: 101 });
    expect(tooMany.status).toBe(400);
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
    expect(codeOf(await graph.gql(FEED, { tab: 'LATEST', first: 5, after: 'bm90LWEtY3Vyc29y' }))).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('refuses a query deeper than the limit', async () => {
    const deep =
      '{ me { followers { edges { node { followers { edges { node { followers { edges { node { followers { edges { node { id } } } } } } } } } } } } } }';
    const res = await graph.gql(deep);
    expect(res.status).toBe(400);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/levels deep/);
  });

  it('refuses a query whose nested pages multiply past the cost limit, however it is written', async () => {
    const query = `query($n: Int = 100) { feed(first: $n) { ...E } }
      fragment E on ReviewConnection { edges { node { author { followers(first: 100) { edges { node { followers { edges { node { id } } } } } } } } } }`;
    const res = await graph.gql(query);
    expect(res.status).toBe(400);
    expect(res.errors?.[0]?.message).toMatch(/could return about \d+ objects; the limit is 25000/);
  });

  it('hides a review from every feed, and from every list but admins’', async () => {
    const d = await graph.signUp('dave');
    const adminToken = await graph.makeAdmin((await graph.signUp('erin')).id);
    const reviewId = await reviewBy(d.token, await placeBy(d.token, 'Hidden Gem'), 'Spam spam');

    const forbidden = await graph.gql(
      'mutation($id: ID!) { hideReview(id: $id) { id } }',
      { id: reviewId },
      d.token,
    );
    expect(codeOf(forbidden)).toBe('FORBIDDEN');

    const hidden = await graph.gql<{ hideReview: { hidden: boolean } }>(
      'mutation($id: ID!) { hideReview(id: $id) { hidden } }',
      { id: reviewId },
      adminToken,
    );
    expect(hidden.data.hideReview.hidden).toBe(true);

    const ids = async (token?: string) =>
      (await graph.gql<FeedData>(FEED, { tab: 'LATEST', first: 100 }, token)).data.feed.edges.map(
        (e) => e.node.id,
      );
    expect(await ids()).not.toContain(reviewId);
    expect(await ids(d.token)).not.toContain(reviewId);
    // A feed is what people see, for admins too; admins find it in its author's list to unhide it.
    expect(await ids(adminToken)).not.toContain(reviewId);
    const authorsList = async (token?: string) =>
      (
        await graph.gql<{ user: { reviews: { edges: Array<{ node: { id: string; hidden: boolean } }> } } }>(
          'query($id: ID!) { user(id: $id) { reviews(first: 100) { edges { node { id hidden } } } } }',
          { id: d.id },
          token,
        )
      ).data.user.reviews.edges.map((e) => e.node);
    expect(await authorsList(adminToken)).toContainEqual({ id: reviewId, hidden: true });
    expect((await authorsList()).map((r) => r.id)).not.toContain(reviewId);

    await graph.gql('mutation($id: ID!) { unhideReview(id: $id) { id } }', { id: reviewId }, adminToken);
    expect(await ids()).toContain(reviewId);
  });

  it('lets an admin write a review on behalf of a user', async () => {
    const f = await graph.signUp('frank');
    const adminToken = await graph.makeAdmin((await graph.signUp('grace')).id);
    const productRes = await graph.gql<{ createProduct: { id: string } }>(
      'mutation { createProduct(input: { name: "Shin Ramyun", brand: "Nongshim", category: "food" }) { id } }',
      {},
      adminToken,
    );
    const input = { kind: 'SOSOLOG', body: '매워요', rating: 4, productId: productRes.data.createProduct.id };
    const before = await reviewCount();
    const unknown = await graph.gql(
      'mutation($a: ID!, $i: CreateReviewInput!) { adminCreateReview(authorId: $a, input: $i) { id } }',
      { a: '00000000-0000-4000-8000-000000000000', i: input },
      adminToken,
    );
    expect(unknown.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'authorId' });
    expect(await reviewCount()).toBe(before);
    // review learns about frank from social's user.created event.
    await eventually(() =>
      graph.service('review').deps.db.dataSource.getRepository(KnownUserEntity).existsBy({ id: f.id }),
    );
    const asUser = await graph.gql(
      'mutation($a: ID!, $i: CreateReviewInput!) { adminCreateReview(authorId: $a, input: $i) { id } }',
      { a: f.id, i: input },
      f.token,
    );
    expect(codeOf(asUser)).toBe('FORBIDDEN');
    const res = await graph.gql<{
      adminCreateReview: { author: { nickname: string }; subject: { name: string } };
    }>(
      'mutation($a: ID!, $i: CreateReviewInput!) { adminCreateReview(authorId: $a, input: $i) { author { nickname } subject { ... on Product { name } } } }',
      { a: f.id, i: input },
      adminToken,
    );
    expect(res.data.adminCreateReview).toEqual({
      author: { nickname: 'frank' },
      subject: { name: 'Shin Ramyun' },
    });
  });
});

describe('bad input gets a clear error and writes nothing', () => {
  let token: string;
  let email: string;
  let placeId: string;
  beforeAll(async () => {
    const u = await graph.signUp('heidi');
    token = u.token;
    email = u.email;
    placeId = await placeBy(token, 'Bad Input Diner');
  });

  it('wrong password', async () => {
    const { email } = await graph.signUp('ivan');
    const res = await graph.gql(
      'mutation($e: String!) { logIn(input: { email: $e, password: "not-the-password" }) { accessToken } }',
      { e: email },
    );
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0]?.message).toBe('Email or password is incorrect');
  });

  it('duplicate email and too-long nickname', async () => {
    const users = graph.service('social').deps.db.dataSource.getRepository(UserEntity);
    const before = await users.count();
    const dup = await graph.gql(
      'mutation($e: String!) { signUp(input: { email: $e, password: "long-enough-pw", nickname: "heidi2" }) { accessToken } }',
      { e: email.toUpperCase() },
    );
    expect(dup.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    const long = await graph.gql(
      'mutation { signUp(input: { email: "new@example.com", password: "long-enough-pw", nickname: "abcdefghijklmnopqrstu" }) { accessToken } }',
    );
    expect(long.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'nickname' });
    expect(await users.count()).toBe(before);
  });

  it.each([
    ['rating 9', { rating: 9 }, 'rating'],
    ['empty body', { body: '   ' }, 'body'],
    ['unknown place id', { placeId: '00000000-0000-4000-8000-000000000000' }, 'placeId'],
    ['malformed place id', { placeId: 'nope' }, 'placeId'],
    ['both a place and a product', { productId: '00000000-0000-4000-8000-000000000000' }, 'placeId'],
    ['long-form review without a title', { title: null }, 'title'],
  ])('%s', async (_, change, field) => {
    const before = await reviewCount();
    const input = { kind: 'DADALOG', title: 'ok', body: 'fine', rating: 3, placeId, ...change };
    const res = await graph.gql(CREATE_REVIEW, { input }, token);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await reviewCount()).toBe(before);
  });

  it('editing or deleting another user’s review', async () => {
    const reviewId = await reviewBy(token, placeId, 'Mine');
    const other = await graph.signUp('judy');
    const edit = await graph.gql(
      'mutation($id: ID!) { updateReview(id: $id, input: { body: "defaced" }) { id } }',
      { id: reviewId },
      other.token,
    );
    expect(codeOf(edit)).toBe('FORBIDDEN');
    const del = await graph.gql(
      'mutation($id: ID!) { deleteReview(id: $id) }',
      { id: reviewId },
      other.token,
    );
    expect(codeOf(del)).toBe('FORBIDDEN');
    const row = await graph
      .service('review')
      .deps.db.dataSource.getRepository(ReviewEntity)
      .findOneByOrFail({ id: reviewId });
    expect(row.body).toBe('Mine: the bread was great');

    const own = await graph.gql<{ updateReview: { body: string; rating: number } }>(
      'mutation($id: ID!) { updateReview(id: $id, input: { body: "changed", rating: 2 }) { body rating } }',
      { id: reviewId },
      token,
    );
    expect(own.data.updateReview).toEqual({ body: 'changed', rating: 2 });
  });

  it('writing without logging in', async () => {
    const res = await graph.gql(CREATE_REVIEW, { input: { kind: 'SOSOLOG', body: 'x', rating: 3, placeId } });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });
});

describe('sessions', () => {
  const REFRESH = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }';
  type Refresh = { refreshSession: { accessToken: string; refreshToken: string } };

  it('rotates refresh tokens and revokes the family when a used one comes back', async () => {
    const u = await graph.signUp('mallory');
    const first = await graph.gql<Refresh>(REFRESH, { t: u.refreshToken });
    expect(first.errors).toBeUndefined();
    const next = first.data.refreshSession.refreshToken;
    expect(next).not.toBe(u.refreshToken);
    // The client moves on: its next token rotates in turn (inside the grace window a used token
    // would get `next` back, see accounts-hardening.test.ts).
    const newest = (await graph.gql<Refresh>(REFRESH, { t: next })).data.refreshSession.refreshToken;

    const reuse = await graph.gql<Refresh>(REFRESH, { t: u.refreshToken });
    expect(codeOf(reuse)).toBe('UNAUTHENTICATED');
    expect(reuse.errors?.[0]?.message).toMatch(/already used/);

    // The legitimate newest token dies with its family.
    const afterReuse = await graph.gql<Refresh>(REFRESH, { t: newest });
    expect(codeOf(afterReuse)).toBe('UNAUTHENTICATED');
    expect(afterReuse.errors?.[0]?.message).toMatch(/revoked/);
  });

  it('logOut revokes the session', async () => {
    const u = await graph.signUp('niaj');
    expect(
      (
        await graph.gql<{ logOut: boolean }>('mutation($t: String!) { logOut(refreshToken: $t) }', {
          t: u.refreshToken,
        })
      ).data.logOut,
    ).toBe(true);
    expect(codeOf(await graph.gql<Refresh>(REFRESH, { t: u.refreshToken }))).toBe('UNAUTHENTICATED');
  });

  it('treats an expired access token as UNAUTHENTICATED, not as anonymous', async () => {
    const u = await graph.signUp('olivia');
    const expired = await signAccessToken(
      { userId: u.id, role: 'USER', sessionId: 'x' },
      TEST_JWT_SECRET,
      -60,
    );
    const res = await graph.gql('{ me { id } }', {}, expired);
    expect(res.status).toBe(401);
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0]?.message).toMatch(/expired/);
    const forged = await signAccessToken(
      { userId: u.id, role: 'ADMIN', sessionId: 'x' },
      'another-secret-another-secret-another',
      600,
    );
    expect(codeOf(await graph.gql('{ me { id } }', {}, forged))).toBe('UNAUTHENTICATED');
  });

  it('rate-limits failed logins per account', async () => {
    const u = await graph.signUp('peggy');
    const attempt = (password: string) =>
      graph.gql(
        'mutation($e: String!, $p: String!) { logIn(input: { email: $e, password: $p }) { accessToken } }',
        { e: u.email, p: password },
      );
    for (let i = 0; i < 5; i++) expect(codeOf(await attempt('wrong-password'))).toBe('UNAUTHENTICATED');
    const limited = await attempt('correct-horse-battery');
    expect(codeOf(limited)).toBe('RATE_LIMITED');
  });

  it('counts parallel login guesses before checking them', async () => {
    const u = await graph.signUp('quentin');
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        graph.gql(
          'mutation($e: String!) { logIn(input: { email: $e, password: "wrong-password" }) { accessToken } }',
          { e: u.email },
        ),
      ),
    );
    const codes = results.map(codeOf);
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(5);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(7);
  });

  it('compares at most five parallel guesses of a phone code', async () => {
    const u = await graph.signUp('sybil');
    await graph.gql('mutation { requestPhoneCode(phone: "+821055550000") { expiresAt } }', {}, u.token);
    const code = /(\d{6})/.exec(sms().at(-1)!.text)![1]!;
    const guesses = Array.from({ length: 20 }, (_, i) =>
      String((Number(code) + 1 + i) % 1_000_000).padStart(6, '0'),
    );
    const results = await Promise.all(
      guesses.map((c) =>
        graph.gql(
          'mutation($c: String!) { verifyPhone(phone: "+821055550000", code: $c) { phoneVerified } }',
          { c },
          u.token,
        ),
      ),
    );
    const compared = results.filter((r) => /^Wrong code/.test(r.errors?.[0]?.message ?? ''));
    expect(compared).toHaveLength(5);
    expect(results.filter((r) => /Too many wrong codes/.test(r.errors?.[0]?.message ?? ''))).toHaveLength(15);
    // Even the right code is refused now: the attempts are spent.
    const late = await graph.gql(
      'mutation($c: String!) { verifyPhone(phone: "+821055550000", code: $c) { phoneVerified } }',
      { c: code },
      u.token,
    );
    expect(late.errors?.[0]?.message).toMatch(/Too many wrong codes/);
  });

  it('verifies a phone with an SMS code: hashed, attempt-limited', async () => {
    const u = await graph.signUp('rupert');
    const req = await graph.gql(
      'mutation { requestPhoneCode(phone: "010-1234-5678") { expiresAt } }',
      {},
      u.token,
    );
    expect(req.errors).toBeUndefined();
    const message = sms().at(-1)!;
    expect(message.to).toBe('+821012345678');
    const code = /(\d{6})/.exec(message.text)![1]!;
    const stored = await graph
      .service('social')
      .deps.db.dataSource.query('SELECT code_hash FROM phone_codes WHERE user_id = ?', [u.id]);
    expect(stored[0].code_hash).not.toContain(code);

    const again = await graph.gql(
      'mutation { requestPhoneCode(phone: "+821012345678") { expiresAt } }',
      {},
      u.token,
    );
    expect(codeOf(again)).toBe('RATE_LIMITED');

    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const bad = await graph.gql(
      'mutation($c: String!) { verifyPhone(phone: "+821012345678", code: $c) { phoneVerified } }',
      { c: wrong },
      u.token,
    );
    expect(bad.errors?.[0]).toMatchObject({
      message: 'Wrong code: 4 attempts left',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const ok = await graph.gql<{ verifyPhone: { phoneVerified: boolean } }>(
      'mutation($c: String!) { verifyPhone(phone: "+821012345678", code: $c) { phoneVerified } }',
      { c: code },
      u.token,
    );
    expect(ok.data.verifyPhone.phoneVerified).toBe(true);
    const reuse = await graph.gql(
      'mutation($c: String!) { verifyPhone(phone: "+821012345678", code: $c) { phoneVerified } }',
      { c: code },
      u.token,
    );
    expect(codeOf(reuse)).toBe('BAD_USER_INPUT');
  });
});

describe('subgraphs trust only the gateway', () => {
  it('refuses a direct call without the signed caller header, or with a forged one', async () => {
    for (const { name } of SERVICES) {
      for (const headers of [{}, { 'x-moim-caller': 'eyJ1c2VySWQiOiJ4In0.Zm9yZ2Vk' }] as Array<
        Record<string, string>
      >) {
        const res = await fetch(graph.subgraphUrl(name), {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ query: '{ __typename }' }),
        });
        const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
        expect(res.status).toBe(401);
        expect(body.errors[0]!.extensions.code).toBe('UNAUTHENTICATED');
      }
    }
  });

  it('reports ready when its database and the backend answer', async () => {
    const res = await fetch(new URL('/health/ready', graph.subgraphUrl('social')));
    // Redis is a dependency of the servers backend only; embedded queues live in the process.
    expect(await res.json()).toEqual({
      status: 'ok',
      checks: graph.backend.kind === 'servers' ? { database: 'ok', redis: 'ok' } : { database: 'ok' },
    });
    expect((await graph.gql('{ __typename }')).status).toBe(200);
    const metrics = await (await fetch(new URL('/metrics', graph.url))).text();
    expect(metrics).toMatch(
      /http_request_duration_seconds_count\{[^}]*route="\/graphql"[^}]*status="200"\} [1-9]/,
    );
  });
});

describe('the gateway at the edge', () => {
  it('carries the request id to the subgraphs and back', async () => {
    const seen: string[] = [];
    const record = (req: { headers: Record<string, unknown> }) =>
      seen.push(String(req.headers['x-request-id']));
    graph.service('social').http.server.on('request', record);
    const res = await fetch(graph.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-me-42' },
      body: JSON.stringify({ query: '{ user(id: "00000000-0000-4000-8000-000000000000") { nickname } }' }),
    });
    graph.service('social').http.server.off('request', record);
    expect(res.headers.get('x-request-id')).toBe('trace-me-42');
    expect(seen).toEqual(['trace-me-42']);
  });

  it('answers the explorer’s schema introspection, deep as it is', async () => {
    const res = await graph.gql<{ __schema: { types: Array<{ name: string }> } }>(getIntrospectionQuery());
    expect(res.errors).toBeUndefined();
    expect(res.data.__schema.types.map((t) => t.name)).toEqual(
      expect.arrayContaining(['Review', 'User', 'FeedTab']),
    );
  });

  it('blocks CSRF-able GET requests and sends browsers to the bundled explorer, never a CDN page', async () => {
    const csrf = await fetch(`${graph.url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(csrf.status).toBe(400);
    expect(await csrf.text()).toMatch(/CSRF/);

    // A gateway serving the console's build: /graphql in a browser leads to its explorer.
    const build = mkdtempSync(join(tmpdir(), 'moim-console-'));
    try {
      writeFileSync(join(build, 'index.html'), '<!doctype html><title>Moim admin</title>');
      const { url } = await graph.anotherGateway({ env: { ADMIN_CONSOLE_DIR: build } });
      const page = await fetch(url, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toMatch(/url=\/admin\/explorer/);
      expect(html).not.toMatch(/https?:/);
      const explorer = await fetch(new URL('/admin/explorer', url));
      expect(explorer.status).toBe(200);
      expect(await explorer.text()).toContain('<title>Moim admin</title>');
    } finally {
      rmSync(build, { recursive: true, force: true });
    }
    // Without it there is no landing page (Apollo's would load Sandbox from its CDN).
    const plain = await fetch(graph.url, { headers: { accept: 'text/html' } });
    expect(await plain.text()).not.toMatch(/apollographql\.com|embeddable-sandbox/);
    expect((await fetch(new URL('/admin/', graph.url))).status).toBe(404);
  });
});

describe('names that differ only by case or accents', () => {
  const SIGN_UP =
    'mutation($e: String!, $n: String!) { signUp(input: { email: $e, password: "long-enough-pw", nickname: $n }) { user { id } } }';
  const users = () => graph.service('social').deps.db.dataSource.getRepository(UserEntity).count();

  it('are one nickname, at sign-up and on a profile change', async () => {
    const jose = await graph.signUp('José');
    const before = await users();
    for (const [i, nickname] of ['jose', 'JOSÉ', 'Josè', 'ｊｏｓｅ'].entries()) {
      const res = await graph.gql(SIGN_UP, { e: `jose-variant-${i}@example.com`, n: nickname });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'nickname' });
    }
    expect(await users()).toBe(before);
    const other = await graph.signUp('Maria');
    const renamed = await graph.gql(
      'mutation { updateProfile(input: { nickname: "JOSE" }) { nickname } }',
      {},
      other.token,
    );
    expect(renamed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'nickname' });
    // Changing one's own nickname to a variant of itself is fine.
    const own = await graph.gql<{ updateProfile: { nickname: string } }>(
      'mutation { updateProfile(input: { nickname: "JOSÉ" }) { nickname } }',
      {},
      jose.token,
    );
    expect(own.data.updateProfile.nickname).toBe('JOSÉ');
  });

  it('are one email, at sign-up and at log-in', async () => {
    const first = await graph.gql(SIGN_UP, { e: 'Zoë.Kim@Example.com', n: 'zoe_kim' });
    expect(first.errors).toBeUndefined();
    const again = await graph.gql(SIGN_UP, { e: 'zoe.kim@example.com', n: 'zoe_kim2' });
    expect(again.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    const login = await graph.gql<{ logIn: { user: { nickname: string } } }>(
      'mutation { logIn(input: { email: "ZOE.kim@example.com", password: "long-enough-pw" }) { user { nickname } } }',
    );
    expect(login.data.logIn.user.nickname).toBe('zoe_kim');
  });

  it('leave one winner when they sign up at the same moment', async () => {
    const variants = ['Ana', 'ana', 'ANA', 'Aná', 'ána', 'ANÁ'];
    const results = await Promise.all(
      variants.map((n, i) => graph.gql(SIGN_UP, { e: `ana-race-${i}@example.com`, n })),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    for (const r of results.filter((r) => r.errors))
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
