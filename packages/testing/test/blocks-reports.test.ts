import { randomUUID } from 'node:crypto';
import { In } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxEvent } from '@moim/kit';
import { REPORTS_PER_USER, type SocialDeps } from '@moim/social';
import { codeOf, ok, startGraph, type GqlResult, type Graph } from '../src';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

const social = () => graph.service<SocialDeps>('social');
const repo = (entity: 'Block' | 'Follow' | 'Like' | 'Comment' | 'Notification' | 'Report' | 'Target') =>
  social().deps.db.dataSource.getRepository(entity);

const fieldOf = (res: GqlResult<unknown>) => res.errors?.[0]?.extensions?.field;

async function postBy(token: string): Promise<string> {
  const res = await graph.gql<{ createPost: { id: string } }>(
    'mutation($input: CreatePostInput!) { createPost(input: $input) { id } }',
    { input: { board: 'general', title: 'Selling textbooks', body: 'Cheap, DM me' } },
    token,
  );
  return ok(res).createPost.id;
}

const LIKE = 'mutation($t: ID!) { like(targetId: $t) { __typename } }';
const COMMENT = 'mutation($t: ID!, $b: String!) { addComment(targetId: $t, body: $b) { id } }';
const BLOCK = 'mutation($u: ID!) { block(userId: $u) { id nickname } }';
const UNBLOCK = 'mutation($u: ID!) { unblock(userId: $u) { id } }';
const REPORT = `mutation($t: ID!, $r: ReportReason!, $n: String) {
  report(targetId: $t, reason: $r, note: $n) { id reason note status reporter { id } target { __typename ... on Review { id } ... on Post { id } } }
}`;
const REPORTS = `query($s: ReportStatus, $first: Int, $after: String) {
  reports(status: $s, first: $first, after: $after) {
    edges { cursor node {
      id reason note status createdAt resolvedAt
      reporter { id nickname } resolvedBy { id }
      target { __typename ... on Review { id } ... on Post { id } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const RESOLVE = `mutation($id: ID!, $a: ReportAction!) {
  resolveReport(id: $id, action: $a) { id status resolvedAt resolvedBy { id } }
}`;

const feedIds = async (token?: string) =>
  ok(
    await graph.gql<{ feed: { edges: Array<{ node: { id: string } }> } }>(
      'query { feed(tab: LATEST, first: 100) { edges { node { id } } } }',
      {},
      token,
    ),
  ).feed.edges.map((e) => e.node.id);

const commentIds = async (reviewId: string, token?: string) =>
  ok(
    await graph.gql<{ review: { comments: { edges: Array<{ node: { id: string } }> } } }>(
      'query($id: ID!) { review(id: $id) { comments(first: 100) { edges { node { id } } } } }',
      { id: reviewId },
      token,
    ),
  ).review.comments.edges.map((e) => e.node.id);

const blockedIds = async (token: string, userId: string) =>
  ok(
    await graph.gql<{ user: { blockedUsers: { edges: Array<{ node: { id: string } }> } | null } }>(
      'query($id: ID!) { user(id: $id) { blockedUsers { edges { node { id } } } } }',
      { id: userId },
      token,
    ),
  ).user.blockedUsers?.edges.map((e) => e.node.id) ?? null;

const eventsOf = (topic: string, payload: object) =>
  social()
    .deps.db.dataSource.getRepository(OutboxEvent)
    .countBy({ topic, payload: JSON.stringify(payload) });

describe('blocking', () => {
  it('stops the blocked from liking or commenting, hides their content from the blocker, and unblock restores it', async () => {
    const a = await graph.person('blocked');
    const b = await graph.person('blocker');
    const c = await graph.person('third');
    const bReview = await graph.reviewBy(b.token);
    const aReview = await graph.reviewBy(a.token, 'By the blocked one');
    const cReview = await graph.reviewBy(c.token);
    const aComment = ok(
      await graph.gql<{ addComment: { id: string } }>(COMMENT, { t: cReview, b: 'Nice' }, a.token),
    ).addComment.id;
    expect(await feedIds(b.token)).toContain(aReview);
    expect(await commentIds(cReview, b.token)).toContain(aComment);

    const blocked = ok(await graph.gql<{ block: { id: string } }>(BLOCK, { u: a.id }, b.token));
    expect(blocked.block.id).toBe(a.id);
    // Idempotent: a second block changes nothing.
    ok(await graph.gql(BLOCK, { u: a.id }, b.token));
    expect(await repo('Block').countBy({ blockerId: b.id, blockedId: a.id })).toBe(1);
    expect(await eventsOf('block.created', { blockerId: b.id, blockedId: a.id })).toBe(1);

    const liked = await graph.gql(LIKE, { t: bReview }, a.token);
    expect(codeOf(liked)).toBe('FORBIDDEN');
    const commented = await graph.gql(COMMENT, { t: bReview, b: 'Let me in' }, a.token);
    expect(codeOf(commented)).toBe('FORBIDDEN');
    expect(await repo('Like').countBy({ targetId: bReview })).toBe(0);
    expect(await repo('Comment').countBy({ targetId: bReview })).toBe(0);
    expect(await repo('Notification').countBy({ recipientId: b.id })).toBe(0);

    await graph.settled();
    expect(await feedIds(b.token)).not.toContain(aReview);
    expect(await feedIds(c.token)).toContain(aReview); // only for the blocker
    expect(await commentIds(cReview, b.token)).not.toContain(aComment);
    expect(await commentIds(cReview, c.token)).toContain(aComment);
    expect(await blockedIds(b.token, b.id)).toEqual([a.id]);
    expect(await blockedIds(a.token, b.id)).toBeNull(); // not someone else's to read

    ok(await graph.gql(UNBLOCK, { u: a.id }, b.token));
    ok(await graph.gql(UNBLOCK, { u: a.id }, b.token)); // idempotent
    expect(await eventsOf('block.deleted', { blockerId: b.id, blockedId: a.id })).toBe(1);
    await graph.settled();
    expect(await feedIds(b.token)).toContain(aReview);
    expect(await commentIds(cReview, b.token)).toContain(aComment);
    expect(await blockedIds(b.token, b.id)).toEqual([]);
    ok(await graph.gql(LIKE, { t: bReview }, a.token));
    expect(await repo('Like').countBy({ targetId: bReview })).toBe(1);
  });

  it('ends follows both ways', async () => {
    const a = await graph.person('mutual');
    const b = await graph.person('mutual');
    const follow = 'mutation($u: ID!) { follow(userId: $u) { id } }';
    ok(await graph.gql(follow, { u: b.id }, a.token));
    ok(await graph.gql(follow, { u: a.id }, b.token));
    ok(await graph.gql(BLOCK, { u: a.id }, b.token));
    expect(await repo('Follow').countBy({ followerId: a.id, followeeId: b.id })).toBe(0);
    expect(await repo('Follow').countBy({ followerId: b.id, followeeId: a.id })).toBe(0);
    expect(await eventsOf('follow.deleted', { followerId: a.id, followeeId: b.id })).toBe(1);
    expect(await eventsOf('follow.deleted', { followerId: b.id, followeeId: a.id })).toBe(1);
    const counts = ok(
      await graph.gql<{ user: { followerCount: number; followingCount: number } }>(
        'query($id: ID!) { user(id: $id) { followerCount followingCount } }',
        { id: b.id },
      ),
    );
    expect(counts.user).toEqual({ followerCount: 0, followingCount: 0 });

    // Neither may follow the other again while the block stands; after unblock both may.
    for (const [who, whom] of [
      [a, b],
      [b, a],
    ] as const) {
      const refused = await graph.gql(follow, { u: whom.id }, who.token);
      expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await repo('Follow').countBy({ followeeId: In([a.id, b.id]) })).toBe(0);
    ok(await graph.gql('mutation($u: ID!) { unblock(userId: $u) { id } }', { u: a.id }, b.token));
    ok(await graph.gql(follow, { u: b.id }, a.token));
  });

  it('lists the blocked newest first, in pages', async () => {
    const b = await graph.person('lister');
    const blocked = [await graph.person('x'), await graph.person('x'), await graph.person('x')];
    for (const u of blocked) ok(await graph.gql(BLOCK, { u: u.id }, b.token));
    const page = async (after?: string) =>
      ok(
        await graph.gql<{
          me: {
            blockedUsers: {
              edges: Array<{ node: { id: string } }>;
              pageInfo: { hasNextPage: boolean; endCursor: string };
            };
          };
        }>(
          'query($after: String) { me { blockedUsers(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } } }',
          { after },
          b.token,
        ),
      ).me.blockedUsers;
    const first = await page();
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = await page(first.pageInfo.endCursor);
    expect(second.pageInfo.hasNextPage).toBe(false);
    expect([...first.edges, ...second.edges].map((e) => e.node.id)).toEqual(
      blocked.map((u) => u.id).reverse(),
    );
  });

  it('refuses blocking yourself or nobody, writing nothing', async () => {
    const b = await graph.person('lonely');
    const self = await graph.gql(BLOCK, { u: b.id }, b.token);
    expect(codeOf(self)).toBe('BAD_USER_INPUT');
    expect(fieldOf(self)).toBe('userId');
    const nobody = await graph.gql(BLOCK, { u: randomUUID() }, b.token);
    expect(codeOf(nobody)).toBe('NOT_FOUND');
    expect(codeOf(await graph.gql(BLOCK, { u: 'nope' }, b.token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await graph.gql(BLOCK, { u: b.id }))).toBe('UNAUTHENTICATED');
    expect(await repo('Block').countBy({ blockerId: b.id })).toBe(0);
  });
});

describe('reports', () => {
  it('takes one report per user and target, and checks the target and the note', async () => {
    const author = await graph.person('reported');
    const reporter = await graph.person('reporter');
    const review = await graph.reviewBy(author.token);
    const first = ok(
      await graph.gql<{
        report: {
          id: string;
          note: string | null;
          status: string;
          reporter: { id: string };
          target: unknown;
        };
      }>(REPORT, { t: review, r: 'SPAM', n: '  buy followers here  ' }, reporter.token),
    ).report;
    expect(first).toMatchObject({
      note: 'buy followers here',
      status: 'OPEN',
      reporter: { id: reporter.id },
      target: { __typename: 'Review', id: review },
    });
    const again = await graph.gql(REPORT, { t: review, r: 'ABUSE' }, reporter.token);
    expect(codeOf(again)).toBe('BAD_USER_INPUT');
    expect(fieldOf(again)).toBe('targetId');
    expect(again.errors?.[0]?.message).toBe('You have already reported this');
    expect(await repo('Report').countBy({ reporterId: reporter.id })).toBe(1);

    const other = await graph.person('reporter');
    const long = await graph.gql(REPORT, { t: review, r: 'OTHER', n: 'x'.repeat(501) }, other.token);
    expect(codeOf(long)).toBe('BAD_USER_INPUT');
    expect(fieldOf(long)).toBe('note');
    const missing = await graph.gql(REPORT, { t: randomUUID(), r: 'OTHER' }, other.token);
    expect(codeOf(missing)).toBe('NOT_FOUND');
    expect(await repo('Report').countBy({ reporterId: other.id })).toBe(0);
    const blank = ok(
      await graph.gql<{ report: { note: string | null } }>(
        REPORT,
        { t: review, r: 'OTHER', n: '   ' },
        other.token,
      ),
    );
    expect(blank.report.note).toBeNull();
  });

  it('limits reports per user', async () => {
    const reporter = await graph.person('flooder');
    const author = await graph.person('target');
    const targets = Array.from({ length: REPORTS_PER_USER.max + 1 }, () => randomUUID());
    await repo('Target').insert(
      targets.map((id) => ({ id, kind: 'REVIEW', authorId: author.id, state: 'VISIBLE', version: '1' })),
    );
    for (const t of targets.slice(0, REPORTS_PER_USER.max))
      ok(await graph.gql(REPORT, { t, r: 'SPAM' }, reporter.token));
    const over = await graph.gql(REPORT, { t: targets.at(-1), r: 'SPAM' }, reporter.token);
    expect(codeOf(over)).toBe('RATE_LIMITED');
    expect(over.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    expect(await repo('Report').countBy({ reporterId: reporter.id })).toBe(REPORTS_PER_USER.max);
  });

  it('lets admins list and resolve them: HIDE hides a review in review and stops interactions', async () => {
    const author = await graph.person('offender');
    const [r1, r2, fan] = [
      await graph.person('report'),
      await graph.person('report'),
      await graph.person('fan'),
    ];
    const admin = await graph.person('admin');
    const adminToken = await graph.makeAdmin(admin.id);
    const review = await graph.reviewBy(author.token);
    ok(await graph.gql(LIKE, { t: review }, fan.token));
    const first = ok(
      await graph.gql<{ report: { id: string } }>(REPORT, { t: review, r: 'ABUSE' }, r1.token),
    ).report;
    const second = ok(
      await graph.gql<{ report: { id: string } }>(REPORT, { t: review, r: 'SPAM' }, r2.token),
    ).report;

    // Not for users.
    expect(codeOf(await graph.gql(REPORTS, {}, r1.token))).toBe('FORBIDDEN');
    expect(codeOf(await graph.gql(RESOLVE, { id: first.id, a: 'HIDE' }, author.token))).toBe('FORBIDDEN');
    expect(codeOf(await graph.gql(REPORTS, {}))).toBe('UNAUTHENTICATED');

    const open = ok(
      await graph.gql<{
        reports: {
          edges: Array<{ node: { id: string; status: string; reporter: { id: string }; target: unknown } }>;
        };
      }>(REPORTS, { first: 100 }, adminToken),
    ).reports.edges.map((e) => e.node);
    const ours = open.filter((r) => [first.id, second.id].includes(r.id));
    // Newest first.
    expect(ours.map((r) => r.id)).toEqual([second.id, first.id]);
    expect(ours[1]).toMatchObject({
      status: 'OPEN',
      reporter: { id: r1.id },
      target: { __typename: 'Review', id: review },
    });

    const resolved = ok(
      await graph.gql<{ resolveReport: { status: string; resolvedAt: string; resolvedBy: { id: string } } }>(
        RESOLVE,
        { id: first.id, a: 'HIDE' },
        adminToken,
      ),
    ).resolveReport;
    expect(resolved).toMatchObject({ status: 'HIDDEN', resolvedBy: { id: admin.id } });
    expect(resolved.resolvedAt).toEqual(expect.any(String));
    // Every open report on the target closes with it.
    const secondRow = (await repo('Report').findOneByOrFail({ id: second.id })) as {
      status: string;
      resolvedBy: string;
    };
    expect(secondRow).toMatchObject({ status: 'HIDDEN', resolvedBy: admin.id });
    // Interactions stop at once, before review has heard of it.
    expect(codeOf(await graph.gql(LIKE, { t: review }, r1.token))).toBe('NOT_FOUND');
    expect(codeOf(await graph.gql(COMMENT, { t: review, b: 'Still here?' }, r2.token))).toBe('NOT_FOUND');
    expect(await repo('Like').countBy({ targetId: review })).toBe(1);
    expect(await repo('Comment').countBy({ targetId: review })).toBe(0);

    await graph.settled();
    const asUser = ok(
      await graph.gql<{ review: { id: string } | null }>(
        'query($id: ID!) { review(id: $id) { id } }',
        { id: review },
        r1.token,
      ),
    );
    expect(asUser.review).toBeNull();
    const asAdmin = ok(
      await graph.gql<{ review: { hidden: boolean } }>(
        'query($id: ID!) { review(id: $id) { hidden } }',
        { id: review },
        adminToken,
      ),
    );
    expect(asAdmin.review.hidden).toBe(true);
    expect(await feedIds(fan.token)).not.toContain(review);

    // Resolved already: refused, nothing changes.
    const twice = await graph.gql(RESOLVE, { id: first.id, a: 'DISMISS' }, adminToken);
    expect(codeOf(twice)).toBe('BAD_USER_INPUT');
    expect(((await repo('Report').findOneByOrFail({ id: first.id })) as { status: string }).status).toBe(
      'HIDDEN',
    );
    expect(codeOf(await graph.gql(RESOLVE, { id: randomUUID(), a: 'HIDE' }, adminToken))).toBe('NOT_FOUND');

    const hiddenList = ok(
      await graph.gql<{ reports: { edges: Array<{ node: { id: string; target: unknown } }> } }>(
        REPORTS,
        { s: 'HIDDEN', first: 100 },
        adminToken,
      ),
    ).reports.edges.map((e) => e.node.id);
    expect(hiddenList).toEqual(expect.arrayContaining([first.id, second.id]));
  });

  it('HIDE hides a post; DISMISS leaves the target alone', async () => {
    const author = await graph.person('poster');
    const reporter = await graph.person('report');
    const admin = await graph.person('admin');
    const adminToken = await graph.makeAdmin(admin.id);
    const post = await postBy(author.token);
    const kept = await postBy(author.token);
    const onPost = ok(
      await graph.gql<{ report: { id: string } }>(REPORT, { t: post, r: 'SPAM' }, reporter.token),
    ).report;
    const onKept = ok(
      await graph.gql<{ report: { id: string } }>(REPORT, { t: kept, r: 'OTHER' }, reporter.token),
    ).report;

    ok(await graph.gql(RESOLVE, { id: onPost.id, a: 'HIDE' }, adminToken));
    const read = (id: string, token?: string) =>
      graph.gql<{ post: { id: string; hidden: boolean } | null }>(
        'query($id: ID!) { post(id: $id) { id hidden } }',
        { id },
        token,
      );
    expect(ok(await read(post, reporter.token)).post).toBeNull();
    expect(ok(await read(post, adminToken)).post).toEqual({ id: post, hidden: true });
    expect(codeOf(await graph.gql(LIKE, { t: post }, reporter.token))).toBe('NOT_FOUND');

    const dismissed = ok(
      await graph.gql<{ resolveReport: { status: string } }>(
        RESOLVE,
        { id: onKept.id, a: 'DISMISS' },
        adminToken,
      ),
    );
    expect(dismissed.resolveReport.status).toBe('DISMISSED');
    expect(ok(await read(kept, reporter.token)).post).toEqual({ id: kept, hidden: false });
    const list = ok(
      await graph.gql<{ reports: { edges: Array<{ node: { id: string; target: { id: string } } }> } }>(
        REPORTS,
        { s: 'DISMISSED', first: 100 },
        adminToken,
      ),
    ).reports.edges.map((e) => e.node);
    expect(list.find((r) => r.id === onKept.id)?.target).toEqual({ __typename: 'Post', id: kept });
  });
});

const USERS = `query($q: String, $role: Role, $first: Int, $after: String) {
  users(query: $q, role: $role, first: $first, after: $after) {
    edges { node { id nickname role email } }
    pageInfo { hasNextPage endCursor }
  }
}`;
type UsersPage = {
  users: {
    edges: Array<{ node: { id: string; nickname: string; role: string; email: string | null } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string };
  };
};

describe('the admin lists', () => {
  it('lists accounts newest first by nickname or email prefix and role, in pages; admins only', async () => {
    const tag = `ul${randomUUID().slice(0, 6)}`;
    const first = await graph.person(tag);
    const second = await graph.person(tag);
    const other = await graph.person('unrelated');
    const admin = await graph.person(`${tag}adm`);
    const adminToken = await graph.makeAdmin(admin.id);
    const list = async (vars: Record<string, unknown>) =>
      ok(await graph.gql<UsersPage>(USERS, vars, adminToken)).users;

    // Newest first; the prefix is case-insensitive and matches emails too.
    const all = await list({ q: tag.toUpperCase() });
    expect(all.edges.map((e) => e.node.id)).toEqual([admin.id, second.id, first.id]);
    expect(all.edges[1]!.node.email).toBe(second.email);
    expect((await list({ q: second.email.slice(0, 12) })).edges.map((e) => e.node.id)).toContain(second.id);
    expect((await list({ q: tag })).edges.map((e) => e.node.id)).not.toContain(other.id);
    // LIKE's wildcards are taken literally.
    expect((await list({ q: `${tag}%` })).edges).toEqual([]);

    const admins = await list({ q: tag, role: 'ADMIN' });
    expect(admins.edges.map((e) => [e.node.id, e.node.role])).toEqual([[admin.id, 'ADMIN']]);

    const page1 = await list({ q: tag, first: 2 });
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = await list({ q: tag, first: 2, after: page1.pageInfo.endCursor });
    expect([...page1.edges, ...page2.edges].map((e) => e.node.id)).toEqual([admin.id, second.id, first.id]);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    expect(codeOf(await graph.gql(USERS, { q: tag }, first.token))).toBe('FORBIDDEN');
    const long = await graph.gql(USERS, { q: 'x'.repeat(101) }, adminToken);
    expect(codeOf(long)).toBe('BAD_USER_INPUT');
    expect(fieldOf(long)).toBe('query');
  });

  it('shows every queue of the graph with its jobs by state; admins only', async () => {
    const admin = await graph.person('queueadmin');
    const adminToken = await graph.makeAdmin(admin.id);
    const QUEUES = '{ jobQueues { name waiting active delayed failed } }';
    type Queue = { name: string; waiting: number; active: number; delayed: number; failed: number };
    const queues = ok(await graph.gql<{ jobQueues: Queue[] }>(QUEUES, {}, adminToken)).jobQueues;
    const names = queues.map((q) => q.name);
    expect(names).toEqual(expect.arrayContaining(['push', 'social-events', 'review-events', 'image-resize']));
    expect(new Set(names).size).toBe(names.length);
    for (const q of queues)
      for (const n of [q.waiting, q.active, q.delayed, q.failed])
        expect(Number.isInteger(n) && n >= 0).toBe(true);
    expect(codeOf(await graph.gql(QUEUES, {}, admin.token))).toBe('FORBIDDEN');
  });
});
