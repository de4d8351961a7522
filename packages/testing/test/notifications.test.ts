import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Like } from 'typeorm';
import { newId, OutboxEvent } from '@moim/kit';
import { insertAccounts, type SocialDeps } from '@moim/social';
import { codeOf, ok, startGraph, type Graph } from '../src';

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

const social = () => graph.service<SocialDeps>('social');
const repo = (entity: 'Notification' | 'Like') => social().deps.db.dataSource.getRepository(entity);

/** What social's local push adapter "sent" (no Firebase credentials in tests). */
interface SentPush {
  tokens: string[];
  message: { title: string; body: string; data: Record<string, string> };
}
const sent = () => (social().deps.push as unknown as { sent: SentPush[] }).sent;
const pushesOf = (notificationId: string) =>
  sent().filter((p) => p.message.data.notificationId === notificationId);

const LIKE = `mutation($t: ID!) { like(targetId: $t) { __typename ... on Review { id likeCount viewerHasLiked } } }`;
const like = async (token: string, targetId: string) =>
  ok(await graph.gql<{ like: { id: string; likeCount: number } }>(LIKE, { t: targetId }, token)).like;
const comment = async (token: string, targetId: string, body: string) =>
  ok(
    await graph.gql<{ addComment: { id: string } }>(
      'mutation($t: ID!, $b: String!) { addComment(targetId: $t, body: $b) { id } }',
      { t: targetId, b: body },
      token,
    ),
  ).addComment.id;
const follow = async (token: string, userId: string) =>
  ok(await graph.gql('mutation($u: ID!) { follow(userId: $u) { id } }', { u: userId }, token));

interface InboxEntry {
  id: string;
  kind: string;
  actorCount: number;
  read: boolean;
  createdAt: string;
  updatedAt: string;
  actor: { id: string; nickname: string };
  target: { __typename: string; id: string } | null;
  comment: { id: string; body: string | null } | null;
}
const INBOX = `query($first: Int, $after: String) {
  notifications(first: $first, after: $after) {
    edges { cursor node {
      id kind actorCount read createdAt updatedAt actor { id nickname }
      target { __typename ... on Review { id } ... on Post { id } }
      comment { id body }
    } }
    pageInfo { hasNextPage endCursor }
  }
  unreadNotificationCount
}`;
async function inbox(token: string) {
  const data = ok(
    await graph.gql<{
      notifications: { edges: Array<{ node: InboxEntry }> };
      unreadNotificationCount: number;
    }>(INBOX, { first: 100 }, token),
  );
  return { entries: data.notifications.edges.map((e) => e.node), unread: data.unreadNotificationCount };
}
const MARK = 'mutation($upTo: ID) { markNotificationsRead(upTo: $upTo) }';

async function registerDevice(token: string, device: string) {
  const res = await graph.gql<{ registerDevice: boolean }>(
    'mutation($t: String!) { registerDevice(token: $t, platform: ANDROID) }',
    { t: device },
    token,
  );
  expect(ok(res).registerDevice).toBe(true);
}

/** Pushes recorded so far have been sent (follow-ups included). */
const pushesDone = () => graph.drained('push');

/** Push jobs recorded in social's outbox for a notification (relayed or not). */
const pushJobsOf = (notificationId: string) =>
  social()
    .deps.db.dataSource.getRepository(OutboxEvent)
    .countBy({ topic: 'job:push:send', payload: Like(`%${notificationId}%`) });

describe('the notification inbox', () => {
  it('shows a like and a comment on your review, counts them unread, and marks them read', async () => {
    const a = await graph.person('liker');
    const b = await graph.person('author');
    const review = await graph.reviewBy(b.token);
    await like(a.token, review);
    const commentId = await comment(a.token, review, 'Agreed, so good');

    const { entries, unread } = await inbox(b.token);
    expect(unread).toBe(2);
    expect(entries.map((e) => e.kind)).toEqual(['COMMENT', 'LIKE']);
    for (const e of entries) {
      expect(e.actor).toEqual({ id: a.id, nickname: a.nickname });
      expect(e.actorCount).toBe(1);
      expect(e.read).toBe(false);
      expect(e.target).toEqual({ __typename: 'Review', id: review });
    }
    expect(entries[0]!.comment).toEqual({ id: commentId, body: 'Agreed, so good' });
    expect(entries[1]!.comment).toBeNull();
    // The actor's own inbox stays empty.
    expect((await inbox(a.token)).entries).toEqual([]);

    expect(
      ok(await graph.gql<{ markNotificationsRead: number }>(MARK, {}, b.token)).markNotificationsRead,
    ).toBe(0);
    const after = await inbox(b.token);
    expect(after.unread).toBe(0);
    expect(after.entries.every((e) => e.read)).toBe(true);
  });

  it('leaves out what people you block did, and brings it back when you unblock them', async () => {
    const a = await graph.person('pest');
    const c = await graph.person('friend');
    const b = await graph.person('author');
    const review = await graph.reviewBy(b.token);
    await comment(a.token, review, 'You again');
    await like(c.token, review);
    expect((await inbox(b.token)).unread).toBe(2);

    const blockA = (name: 'block' | 'unblock') =>
      graph.gql(`mutation($u: ID!) { ${name}(userId: $u) { id } }`, { u: a.id }, b.token);
    ok(await blockA('block'));
    const blocked = await inbox(b.token);
    expect(blocked.unread).toBe(1);
    expect(blocked.entries.map((e) => e.actor.id)).toEqual([c.id]);

    ok(await blockA('unblock'));
    const restored = await inbox(b.token);
    expect(restored.unread).toBe(2);
    expect(restored.entries.map((e) => e.actor.id)).toEqual([c.id, a.id]);
  });

  it('needs a login', async () => {
    expect(codeOf(await graph.gql(INBOX, {}))).toBe('UNAUTHENTICATED');
    expect(codeOf(await graph.gql(MARK, {}))).toBe('UNAUTHENTICATED');
  });

  it('counts a second like by the same person as nothing: one like, one notification', async () => {
    const a = await graph.person('twice');
    const b = await graph.person('author');
    const review = await graph.reviewBy(b.token);
    expect((await like(a.token, review)).likeCount).toBe(1);
    expect((await like(a.token, review)).likeCount).toBe(1);
    expect(await repo('Like').countBy({ targetId: review })).toBe(1);
    const { entries, unread } = await inbox(b.token);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: 'LIKE', actorCount: 1, actor: { id: a.id } });
    expect(unread).toBe(1);
  });

  it('collapses likes of one target within the window into one entry with the latest actor', async () => {
    const b = await graph.person('popular');
    await registerDevice(b.token, `device-${b.id}`);
    const review = await graph.reviewBy(b.token);
    const [x, y, z] = [await graph.person('fan'), await graph.person('fan'), await graph.person('fan')];
    await like(x.token, review);
    // b reads it; the next like makes it unread again.
    ok(await graph.gql(MARK, {}, b.token));
    await like(y.token, review);
    await like(z.token, review);
    // z liking again (after an unlike) does not count z twice.
    ok(await graph.gql('mutation($t: ID!) { unlike(targetId: $t) { __typename } }', { t: review }, z.token));
    await like(z.token, review);

    const { entries, unread } = await inbox(b.token);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({ kind: 'LIKE', actorCount: 3, actor: { id: z.id }, read: false });
    expect(unread).toBe(1);
    expect(new Date(entry!.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(entry!.createdAt).getTime());
    const actors = await social()
      .deps.db.dataSource.getRepository('NotificationActor')
      .findBy({ notificationId: entry!.id });
    expect(actors.map((r) => (r as { actorId: string }).actorId).sort()).toEqual([x.id, y.id, z.id].sort());

    // Pushed once, when the entry was new; joining it pushes nothing.
    await pushesDone();
    expect(await pushJobsOf(entry!.id)).toBe(1);
    expect(pushesOf(entry!.id)).toHaveLength(1);
    expect(pushesOf(entry!.id)[0]!.tokens).toEqual([`device-${b.id}`]);
  });

  it('does not notify you of liking or commenting on your own review', async () => {
    const b = await graph.person('selfish');
    const review = await graph.reviewBy(b.token);
    await like(b.token, review);
    await comment(b.token, review, 'My own words');
    expect(await repo('Notification').countBy({ recipientId: b.id })).toBe(0);
    expect((await inbox(b.token)).unread).toBe(0);
  });

  it('tells you of a new follower, but not of one you block', async () => {
    const a = await graph.person('follower');
    const b = await graph.person('followed');
    await follow(a.token, b.id);
    await follow(a.token, b.id); // idempotent: no second notification
    const { entries } = await inbox(b.token);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      kind: 'FOLLOW',
      actor: { id: a.id },
      actorCount: 1,
      target: null,
      comment: null,
    });

    const c = await graph.person('blocked');
    ok(await graph.gql('mutation($u: ID!) { block(userId: $u) { id } }', { u: c.id }, b.token));
    // Someone you block cannot follow you (blocking ends follows and keeps them ended), so no notification.
    const refused = await graph.gql('mutation($u: ID!) { follow(userId: $u) { id } }', { u: b.id }, c.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await repo('Notification').countBy({ recipientId: b.id, actorId: c.id })).toBe(0);
  });

  it('keeps muted kinds in the inbox but does not push them; other kinds are pushed once each', async () => {
    const a = await graph.person('actor');
    const b = await graph.person('muter');
    const device = `device-${b.id}`;
    await registerDevice(b.token, device);
    const settings = ok(
      await graph.gql<{ updateNotificationSettings: { mutedKinds: string[] } }>(
        'mutation($k: [NotificationKind!]!) { updateNotificationSettings(mutedKinds: $k) { mutedKinds } }',
        { k: ['LIKE', 'FOLLOW', 'LIKE'] },
        b.token,
      ),
    );
    expect(settings.updateNotificationSettings.mutedKinds).toEqual(['LIKE', 'FOLLOW']);
    const me = ok(
      await graph.gql<{ me: { notificationSettings: { mutedKinds: string[] } } }>(
        'query { me { notificationSettings { mutedKinds } } }',
        {},
        b.token,
      ),
    );
    expect(me.me.notificationSettings.mutedKinds).toEqual(['LIKE', 'FOLLOW']);
    // Someone else's settings are not for others to read.
    const other = ok(
      await graph.gql<{ user: { notificationSettings: unknown } }>(
        'query($id: ID!) { user(id: $id) { notificationSettings { mutedKinds } } }',
        { id: b.id },
        a.token,
      ),
    );
    expect(other.user.notificationSettings).toBeNull();

    const review = await graph.reviewBy(b.token);
    await like(a.token, review);
    await comment(a.token, review, 'Pushed, this one');
    await pushesDone();
    const { entries } = await inbox(b.token);
    const byKind = new Map(entries.map((e) => [e.kind, e]));
    expect([...byKind.keys()].sort()).toEqual(['COMMENT', 'LIKE']);
    const liked = byKind.get('LIKE')!;
    const commented = byKind.get('COMMENT')!;
    expect(await pushJobsOf(liked.id)).toBe(0);
    expect(pushesOf(liked.id)).toHaveLength(0);
    expect(await pushJobsOf(commented.id)).toBe(1);
    expect(pushesOf(commented.id)).toEqual([
      {
        tokens: [device],
        message: {
          title: 'New comment',
          body: `${a.nickname} commented on your review`,
          data: { notificationId: commented.id, kind: 'COMMENT', targetId: review },
        },
      },
    ]);

    // Unmuting LIKE pushes the next new LIKE entry.
    ok(
      await graph.gql(
        'mutation { updateNotificationSettings(mutedKinds: [FOLLOW]) { mutedKinds } }',
        {},
        b.token,
      ),
    );
    const second = await graph.reviewBy(b.token);
    await like(a.token, second);
    await pushesDone();
    const secondLike = (await inbox(b.token)).entries.find(
      (e) => e.kind === 'LIKE' && e.target?.id === second,
    )!;
    expect(pushesOf(secondLike.id)).toHaveLength(1);
    expect(pushesOf(secondLike.id)[0]!.message.body).toMatch(/ liked your review$/);
  });

  it('marks read only up to upTo, and only the caller’s own', async () => {
    const b = await graph.person('reader');
    const review = await graph.reviewBy(b.token);
    for (const f of [await graph.person('one'), await graph.person('two'), await graph.person('three')])
      await comment(f.token, review, 'Hello');
    const { entries } = await inbox(b.token);
    expect(entries).toHaveLength(3);
    const [newest, middle, oldest] = entries;

    const stranger = await graph.person('stranger');
    const foreign = await graph.gql(MARK, { upTo: middle!.id }, stranger.token);
    expect(codeOf(foreign)).toBe('NOT_FOUND');
    expect((await inbox(b.token)).unread).toBe(3);
    expect(codeOf(await graph.gql(MARK, { upTo: 'not-an-id' }, b.token))).toBe('BAD_USER_INPUT');

    const left = ok(await graph.gql<{ markNotificationsRead: number }>(MARK, { upTo: middle!.id }, b.token));
    expect(left.markNotificationsRead).toBe(1);
    const after = new Map((await inbox(b.token)).entries.map((e) => [e.id, e.read]));
    expect([after.get(newest!.id), after.get(middle!.id), after.get(oldest!.id)]).toEqual([
      false,
      true,
      true,
    ]);
  });

  it('pages the inbox newest first', async () => {
    const b = await graph.person('paged');
    const review = await graph.reviewBy(b.token);
    for (const f of [await graph.person('p'), await graph.person('p'), await graph.person('p')])
      await comment(f.token, review, 'Hi');
    const all = (await inbox(b.token)).entries.map((e) => e.id);
    const first = ok(
      await graph.gql<{
        notifications: {
          edges: Array<{ node: { id: string } }>;
          pageInfo: { endCursor: string; hasNextPage: boolean };
        };
      }>(INBOX, { first: 2 }, b.token),
    ).notifications;
    expect(first.edges.map((e) => e.node.id)).toEqual(all.slice(0, 2));
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = ok(
      await graph.gql<{
        notifications: { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean } };
      }>(INBOX, { first: 2, after: first.pageInfo.endCursor }, b.token),
    ).notifications;
    expect(rest.edges.map((e) => e.node.id)).toEqual(all.slice(2));
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('serves an inbox page in a fixed number of statements, however many entries it shows', async () => {
    const me = await graph.person('busy');
    const ds = social().deps.db.dataSource;
    const actors = await social().deps.db.transaction((m) =>
      insertAccounts(
        m,
        Array.from({ length: 30 }, (_, i) => ({
          email: `inbox-actor-${i}-${me.id}@example.com`,
          nickname: `ia${i}x${me.id.slice(0, 6)}`,
          role: 'USER' as const,
          passwordHash: 'not-a-real-hash',
        })),
      ),
    );
    const postAuthor = await graph.person('poster');
    const post = ok(
      await graph.gql<{ createPost: { id: string } }>(
        'mutation { createPost(input: { board: "general", title: "Lost umbrella", body: "Blue, near the library" }) { id } }',
        {},
        postAuthor.token,
      ),
    ).createPost.id;
    const start = Date.now() + 86_400_000;
    const rows = actors.map((actor, i) => {
      const targetId = i % 3 === 0 ? post : newId();
      const commentId = i % 2 === 0 ? newId() : null;
      const at = new Date(start + i * 1000);
      return {
        target: {
          id: targetId,
          kind: 'REVIEW',
          authorId: me.id,
          state: i % 5 === 0 ? 'HIDDEN' : 'VISIBLE',
          version: '1',
        },
        comment: commentId && {
          id: commentId,
          targetId,
          parentId: null,
          authorId: actor.id,
          body: `c${i}`,
          deletedAt: null,
          createdAt: at,
          editedAt: null,
        },
        notification: {
          id: newId(),
          recipientId: me.id,
          kind: commentId ? 'COMMENT' : 'LIKE',
          actorId: actor.id,
          actorCount: 1,
          targetId,
          commentId,
          readAt: null,
          createdAt: at,
          updatedAt: at,
        },
      };
    });
    await ds.getRepository('Target').insert(rows.filter((r) => r.target.id !== post).map((r) => r.target));
    await ds.getRepository('Comment').insert(rows.flatMap((r) => (r.comment ? [r.comment] : [])));
    await ds.getRepository('Notification').insert(rows.map((r) => r.notification));

    const page = `query($first: Int) { notifications(first: $first) { edges { node {
      id actor { nickname } target { __typename ... on Post { title } } comment { id body }
    } } } }`;
    const cost = async (first: number) => {
      await graph.settled();
      const before = social().deps.db.queryCount();
      const data = ok(
        await graph.gql<{
          notifications: {
            edges: Array<{
              node: {
                actor: { nickname: string };
                target: { __typename: string; title?: string } | null;
                comment: { body: string } | null;
              };
            }>;
          };
        }>(page, { first }, me.token),
      );
      return {
        statements: social().deps.db.queryCount() - before,
        nodes: data.notifications.edges.map((e) => e.node),
      };
    };
    const small = await cost(3);
    const large = await cost(30);
    expect(small.nodes).toHaveLength(3);
    expect(large.nodes).toHaveLength(30);
    expect(
      large.nodes
        .filter((n) => n.target?.__typename === 'Post')
        .every((n) => n.target?.title === 'Lost umbrella'),
    ).toBe(true);
    // The hidden ones (posts stay visible).
    expect(large.nodes.filter((n) => n.target === null)).toHaveLength(
      rows.filter((r) => r.target.id !== post && r.target.state === 'HIDDEN').length,
    );
    expect(large.nodes.filter((n) => n.comment !== null)).toHaveLength(15);
    expect(large.statements).toBe(small.statements);
    expect(large.statements).toBeLessThanOrEqual(6);
  });
});
