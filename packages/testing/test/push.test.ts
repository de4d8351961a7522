import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IsNull, Like } from 'typeorm';
import type { BatchResponse, MulticastMessage } from 'firebase-admin/messaging';
import { createLogger, OutboxEvent } from '@moim/kit';
import {
  eventually,
  hostAndPort,
  startTcpProxy,
  TEST_BACKEND,
  TEST_REDIS_URL,
  type TcpProxy,
} from '@moim/kit/testing';
import {
  createFcmPush,
  SEND_PUSH,
  type PushMessage,
  type PushOutcome,
  type PushSender,
  type SocialDeps,
} from '@moim/social';
import { codeOf, ok, startGraph, type Graph } from '../src';

let graph: Graph;
let proxy: TcpProxy | undefined;
beforeAll(async () => {
  if (TEST_BACKEND === 'servers') {
    // The services reach Redis (queues, rate limits, pub/sub) through a proxy the outage test cuts.
    const { host, port } = hostAndPort(TEST_REDIS_URL, 6379);
    proxy = await startTcpProxy(port, host);
    graph = await startGraph({ redisUrl: proxy.url('redis') });
  } else graph = await startGraph();
});
afterAll(async () => {
  await graph?.stop();
  await proxy?.close();
});

const social = () => graph.service<SocialDeps>('social');
const db = () => social().deps.db.dataSource;

interface SentPush {
  tokens: string[];
  message: PushMessage;
}
/** What social's local push adapter "sent" (the graph runs without Firebase credentials). */
const localSent = () => (social().deps.push as unknown as { sent: SentPush[] }).sent;
const pushesOf = (notificationId: string) =>
  localSent().filter((p) => p.message.data.notificationId === notificationId);

/** Runs `work` with another push sender in social's deps (a plain object the push worker reads per job). */
async function withSender<T>(sender: PushSender, work: () => Promise<T>): Promise<T> {
  const deps = social().deps as { push: PushSender };
  const original = deps.push;
  deps.push = sender;
  try {
    return await work();
  } finally {
    deps.push = original;
  }
}

/** A sender that answers each call with `answer` and records what it was given. */
function scriptedSender(answer: (tokens: string[], call: number) => PushOutcome[]) {
  const calls: SentPush[] = [];
  const sender: PushSender = {
    name: 'local',
    async send(tokens, message) {
      calls.push({ tokens, message });
      return answer(tokens, calls.length);
    },
  };
  return { sender, calls };
}

const registerDevice = async (token: string, device: string) =>
  ok(
    await graph.gql(
      'mutation($t: String!) { registerDevice(token: $t, platform: IOS) }',
      { t: device },
      token,
    ),
  );
const like = async (token: string, targetId: string) =>
  ok(
    await graph.gql<{ like: { likeCount: number } }>(
      'mutation($t: ID!) { like(targetId: $t) { ... on Review { likeCount } } }',
      { t: targetId },
      token,
    ),
  ).like;
const comment = async (token: string, targetId: string) =>
  ok(
    await graph.gql(
      'mutation($t: ID!) { addComment(targetId: $t, body: "Same here") { id } }',
      { t: targetId },
      token,
    ),
  );

/** The recipient's newest notification id. */
async function latestNotification(recipientId: string): Promise<string> {
  const n = await db()
    .getRepository<{ id: string; recipientId: string; createdAt: Date }>('Notification')
    .findOneOrFail({ where: { recipientId }, order: { createdAt: 'DESC', id: 'DESC' } });
  return n.id;
}

const devicesOf = async (userId: string) =>
  (await db().getRepository<{ token: string; userId: string }>('Device').findBy({ userId }))
    .map((d) => d.token)
    .sort();

/** Pushes recorded so far have been sent (follow-ups included). */
const pushesDone = () => graph.drained('push');

/** Runs the push job for a notification again, as the worker would take it from the queue. */
const pushAgain = (notificationId: string, id: string, options: { attempts?: number } = {}) =>
  graph.backend.backend.queues.add('push', {
    name: 'send',
    data: { notificationId },
    id,
    attempts: options.attempts ?? 1,
    backoff: { delayMs: 10, maxDelayMs: 10 },
  });

interface FailedJobView {
  id: string;
  name: string;
  data: string;
  attemptsMade: number;
  error: string;
  failedAt: string;
}
const FAILED = `query($q: String!) { failedJobs(queue: $q) { id name data attemptsMade error failedAt } }`;
const RETRY = 'mutation($q: String!, $id: ID!) { retryFailedJob(queue: $q, id: $id) }';

describe('pushes', () => {
  // Servers only: the embedded backend has no Redis to lose (its queue lives in the process).
  const onServers = TEST_BACKEND === 'servers' ? it : () => {};
  onServers('commits a like while Redis is away and pushes it exactly once when Redis returns', async () => {
    const a = await graph.person('outage');
    const b = await graph.person('author');
    await registerDevice(b.token, `ios-${b.id}`);
    const review = await graph.reviewBy(b.token);

    await proxy!.down();
    try {
      expect((await like(a.token, review)).likeCount).toBe(1);
      const notificationId = await latestNotification(b.id);
      // The push job waits in the outbox, not lost.
      const pending = await db()
        .getRepository(OutboxEvent)
        .findBy({ topic: 'job:push:send', publishedAt: IsNull(), payload: Like(`%${notificationId}%`) });
      expect(pending).toHaveLength(1);
      expect(pushesOf(notificationId)).toHaveLength(0);
    } finally {
      await proxy!.up();
    }
    const notificationId = await latestNotification(b.id);
    await pushesDone();
    expect(pushesOf(notificationId)).toHaveLength(1);
    expect(pushesOf(notificationId)[0]!.tokens).toEqual([`ios-${b.id}`]);
    expect(
      await db()
        .getRepository(OutboxEvent)
        .countBy({ topic: 'job:push:send', publishedAt: IsNull(), payload: Like(`%${notificationId}%`) }),
    ).toBe(0);
  });

  it('deletes the token FCM reports unregistered and keeps the others', async () => {
    const a = await graph.person('commenter');
    const b = await graph.person('author');
    for (const device of ['keep-1', 'dead', 'keep-2']) await registerDevice(b.token, `${device}-${b.id}`);
    const review = await graph.reviewBy(b.token);
    const requests: MulticastMessage[] = [];
    const fcm = createFcmPush(
      {
        async sendEachForMulticast(message) {
          requests.push(message);
          const responses = message.tokens.map((token, i) =>
            token.startsWith('dead-')
              ? {
                  success: false,
                  error: Object.assign(new Error('Requested entity was not found.'), {
                    code: 'messaging/registration-token-not-registered',
                  }) as never,
                }
              : { success: true, messageId: `m-${i}` },
          );
          return { responses, successCount: 2, failureCount: 1 } satisfies BatchResponse;
        },
      },
      createLogger('test-fcm', 'silent'),
    );
    await withSender(fcm, async () => {
      await comment(a.token, review);
      await pushesDone();
    });
    const notificationId = await latestNotification(b.id);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.tokens.sort()).toEqual([`dead-${b.id}`, `keep-1-${b.id}`, `keep-2-${b.id}`]);
    expect(requests[0]!.notification).toEqual({
      title: 'New comment',
      body: `${a.nickname} commented on your review`,
    });
    expect(requests[0]!.data).toEqual({ notificationId, kind: 'COMMENT', targetId: review });
    expect(await devicesOf(b.id)).toEqual([`keep-1-${b.id}`, `keep-2-${b.id}`]);
  });

  it('retries only the tokens that failed for now, in a follow-up job', async () => {
    const a = await graph.person('liker');
    const b = await graph.person('author');
    for (const device of ['first', 'second']) await registerDevice(b.token, `${device}-${b.id}`);
    const review = await graph.reviewBy(b.token);
    // The first send: one token through, one to retry; then everything goes through.
    const { sender, calls } = scriptedSender((tokens, call) =>
      tokens.map((t) => (call === 1 && t.startsWith('second-') ? 'retry' : 'sent')),
    );
    await withSender(sender, async () => {
      await like(a.token, review);
      await pushesDone();
    });
    const notificationId = await latestNotification(b.id);
    expect(calls.map((c) => c.tokens)).toEqual([[`first-${b.id}`, `second-${b.id}`], [`second-${b.id}`]]);
    const followUp = await db()
      .getRepository(OutboxEvent)
      .findOneByOrFail({ topic: 'job:push:send', payload: Like(`%"push-${notificationId}-1"%`) });
    expect(JSON.parse(followUp.payload).data).toEqual({
      notificationId,
      tokens: [`second-${b.id}`],
      attempt: 1,
    });
    expect(await devicesOf(b.id)).toEqual([`first-${b.id}`, `second-${b.id}`]);
  });

  it('parks a push that keeps failing in the failed set with its reason, where an admin retries it', async () => {
    const a = await graph.person('liker');
    const b = await graph.person('author');
    const admin = await graph.person('admin');
    const adminToken = await graph.makeAdmin(admin.id);
    const review = await graph.reviewBy(b.token);
    await like(a.token, review);
    await pushesDone(); // no device yet: nothing to send, the job is done
    const notificationId = await latestNotification(b.id);
    await registerDevice(b.token, `flaky-${b.id}`);

    const failing = scriptedSender((tokens) => tokens.map(() => 'retry'));
    const jobId = `push-${notificationId}-again`;
    const failed = await withSender(failing.sender, async () => {
      // SEND_PUSH retries six times over about a minute; this job has two quick attempts.
      await pushAgain(notificationId, jobId, { attempts: 2 });
      return eventually(async () => {
        const res = await graph.gql<{ failedJobs: FailedJobView[] }>(FAILED, { q: 'push' }, adminToken);
        return ok(res).failedJobs.find((j) => j.id === jobId);
      }, 20_000);
    });
    if (!failed) throw new Error('unreachable: eventually returns a found job');
    expect(failing.calls).toHaveLength(2);
    expect(failed).toMatchObject({
      name: 'send',
      attemptsMade: 2,
      error: 'push failed for every device (1), all transient',
    });
    expect(JSON.parse(failed.data)).toEqual({ notificationId });
    expect(new Date(failed.failedAt).getTime()).not.toBeNaN();
    expect(await devicesOf(b.id)).toEqual([`flaky-${b.id}`]); // a transient failure deletes nothing

    expect(codeOf(await graph.gql(FAILED, { q: 'push' }, b.token))).toBe('FORBIDDEN');
    expect(codeOf(await graph.gql(RETRY, { q: 'push', id: jobId }, b.token))).toBe('FORBIDDEN');
    const beyond = ok(
      await graph.gql<{ failedJobs: FailedJobView[] }>(
        `query($q: String!, $o: Int) { failedJobs(queue: $q, offset: $o) { id } }`,
        { q: 'push', o: 1 },
        adminToken,
      ),
    ).failedJobs;
    expect(beyond.map((j) => j.id)).not.toContain(jobId); // the newest is on the first page only
    const deep = await graph.gql(
      `query($q: String!, $o: Int) { failedJobs(queue: $q, offset: $o) { id } }`,
      { q: 'push', o: -1 },
      adminToken,
    );
    expect(codeOf(deep)).toBe('BAD_USER_INPUT');
    expect(deep.errors?.[0]?.extensions?.field).toBe('offset');
    const unknown = await graph.gql(FAILED, { q: 'nope' }, adminToken);
    expect(codeOf(unknown)).toBe('BAD_USER_INPUT');
    expect(unknown.errors?.[0]?.extensions?.field).toBe('queue');
    expect(
      ok(await graph.gql<{ failedJobs: unknown[] }>(FAILED, { q: 'review-events' }, adminToken)).failedJobs,
    ).toEqual([]);

    const before = pushesOf(notificationId).length;
    expect(
      ok(await graph.gql<{ retryFailedJob: boolean }>(RETRY, { q: 'push', id: jobId }, adminToken))
        .retryFailedJob,
    ).toBe(true);
    await pushesDone();
    expect(pushesOf(notificationId)).toHaveLength(before + 1);
    const after = ok(
      await graph.gql<{ failedJobs: Array<{ id: string }> }>(FAILED, { q: 'push' }, adminToken),
    );
    expect(after.failedJobs.map((j) => j.id)).not.toContain(jobId);
    expect(
      ok(await graph.gql<{ retryFailedJob: boolean }>(RETRY, { q: 'push', id: jobId }, adminToken))
        .retryFailedJob,
    ).toBe(false);
  });

  it('gives up after SEND_PUSH.attempts follow-ups: into the failed set, without pushing the reached devices again', async () => {
    const a = await graph.person('liker');
    const b = await graph.person('author');
    const admin = await graph.person('admin');
    const adminToken = await graph.makeAdmin(admin.id);
    const review = await graph.reviewBy(b.token);
    await like(a.token, review);
    await pushesDone();
    const notificationId = await latestNotification(b.id);
    const [reached, flaky] = [`reached-${b.id}`, `flaky-${b.id}`];
    for (const device of [reached, flaky]) await registerDevice(b.token, device);

    const partly = scriptedSender((tokens) => tokens.map((t) => (t === flaky ? 'retry' : 'sent')));
    const jobId = `push-${notificationId}-${SEND_PUSH.attempts}`;
    const failed = await withSender(partly.sender, async () => {
      // The last follow-up SEND_PUSH allows, with two quick attempts instead of six slow ones.
      await graph.backend.backend.queues.add('push', {
        name: 'send',
        data: { notificationId, tokens: [reached, flaky], attempt: SEND_PUSH.attempts },
        id: jobId,
        attempts: 2,
        backoff: { delayMs: 10, maxDelayMs: 10 },
      });
      return eventually(async () => {
        const res = await graph.gql<{ failedJobs: FailedJobView[] }>(FAILED, { q: 'push' }, adminToken);
        return ok(res).failedJobs.find((j) => j.id === jobId);
      }, 20_000);
    });
    if (!failed) throw new Error('unreachable: eventually returns a found job');
    // Sent once; the queue's second run did not push the reached device again.
    expect(partly.calls.map((c) => c.tokens)).toEqual([[reached, flaky].sort()]);
    expect(failed).toMatchObject({ attemptsMade: 2 });
    expect(failed.error).toMatch(new RegExp(`^gave up after ${SEND_PUSH.attempts} follow-ups`));
    // No further follow-up was recorded.
    expect(
      await db()
        .getRepository(OutboxEvent)
        .countBy({
          topic: 'job:push:send',
          payload: Like(`%"push-${notificationId}-${SEND_PUSH.attempts + 1}"%`),
        }),
    ).toBe(0);
  });

  it('stops pushing a notification once its review is hidden, its actor blocked, or its kind muted', async () => {
    const [a, c] = [await graph.person('liker'), await graph.person('liker')];
    const b = await graph.person('author');
    const admin = await graph.person('admin');
    const adminToken = await graph.makeAdmin(admin.id);
    await registerDevice(b.token, `phone-${b.id}`);
    const [hidden, blocked, muted] = [
      await graph.reviewBy(b.token),
      await graph.reviewBy(b.token),
      await graph.reviewBy(b.token),
    ];
    await like(c.token, hidden);
    await like(a.token, blocked);
    await like(c.token, muted);
    await pushesDone();
    const rows = await db()
      .getRepository<{ id: string; recipientId: string; targetId: string }>('Notification')
      .findBy({ recipientId: b.id });
    const idOf = (review: string) => rows.find((n) => n.targetId === review)!.id;
    for (const review of [hidden, blocked, muted]) expect(pushesOf(idOf(review))).toHaveLength(1);
    // The same job run again pushes again while nothing changed.
    await pushAgain(idOf(blocked), `push-${idOf(blocked)}-again`);
    await pushesDone();
    expect(pushesOf(idOf(blocked))).toHaveLength(2);

    const report = ok(
      await graph.gql<{ report: { id: string } }>(
        'mutation($t: ID!) { report(targetId: $t, reason: SPAM) { id } }',
        { t: hidden },
        c.token,
      ),
    ).report;
    ok(
      await graph.gql(
        'mutation($id: ID!) { resolveReport(id: $id, action: HIDE) { id } }',
        { id: report.id },
        adminToken,
      ),
    );
    ok(await graph.gql('mutation($u: ID!) { block(userId: $u) { id } }', { u: a.id }, b.token));
    await pushAgain(idOf(hidden), `push-${idOf(hidden)}-after-hide`);
    await pushAgain(idOf(blocked), `push-${idOf(blocked)}-after-block`);
    await pushAgain(idOf(muted), `push-${idOf(muted)}-before-mute`);
    await pushesDone();
    expect(pushesOf(idOf(hidden))).toHaveLength(1);
    expect(pushesOf(idOf(blocked))).toHaveLength(2);
    expect(pushesOf(idOf(muted))).toHaveLength(2);

    ok(
      await graph.gql(
        'mutation { updateNotificationSettings(mutedKinds: [LIKE]) { mutedKinds } }',
        {},
        b.token,
      ),
    );
    await pushAgain(idOf(muted), `push-${idOf(muted)}-after-mute`);
    await pushesDone();
    expect(pushesOf(idOf(muted))).toHaveLength(2);

    // The hidden review's entry stays in the inbox, without its target; the blocked liker's is left out.
    const inbox = ok(
      await graph.gql<{
        notifications: { edges: Array<{ node: { id: string; target: { id: string } | null } }> };
      }>(
        'query { notifications(first: 10) { edges { node { id target { ... on Review { id } } } } } }',
        {},
        b.token,
      ),
    ).notifications.edges.map((e) => e.node);
    expect(inbox.find((n) => n.id === idOf(hidden))?.target).toBeNull();
    expect(inbox.find((n) => n.id === idOf(muted))?.target).toEqual({ id: muted });
    expect(inbox.some((n) => n.id === idOf(blocked))).toBe(false);
  });
});

describe('devices', () => {
  const REGISTER = 'mutation($t: String!, $p: DevicePlatform!) { registerDevice(token: $t, platform: $p) }';
  const UNREGISTER = 'mutation($t: String!) { unregisterDevice(token: $t) }';
  const devices = () => db().getRepository<{ token: string; userId: string; platform: string }>('Device');

  it('registers a trimmed token once, moves it to whoever registers it last, and unregisters only your own', async () => {
    const a = await graph.person('phone');
    const b = await graph.person('phone');
    const token = `shared-${a.id}`;
    ok(await graph.gql(REGISTER, { t: `  ${token} `, p: 'ANDROID' }, a.token));
    ok(await graph.gql(REGISTER, { t: token, p: 'ANDROID' }, a.token));
    expect(await devices().findBy({ token })).toEqual([
      expect.objectContaining({ token, userId: a.id, platform: 'ANDROID' }),
    ]);
    // b signs in on the same phone: the token is b's now.
    ok(await graph.gql(REGISTER, { t: token, p: 'IOS' }, b.token));
    expect(await devices().findBy({ token })).toEqual([
      expect.objectContaining({ userId: b.id, platform: 'IOS' }),
    ]);
    // a cannot remove it any more; b can, twice.
    expect(
      ok(await graph.gql<{ unregisterDevice: boolean }>(UNREGISTER, { t: token }, a.token)).unregisterDevice,
    ).toBe(true);
    expect(await devices().countBy({ token })).toBe(1);
    ok(await graph.gql(UNREGISTER, { t: token }, b.token));
    ok(await graph.gql(UNREGISTER, { t: token }, b.token));
    expect(await devices().countBy({ token })).toBe(0);
  });

  it('refuses an empty or overlong token and anonymous callers, writing nothing', async () => {
    const a = await graph.person('phone');
    for (const t of ['   ', 'x'.repeat(513)]) {
      const res = await graph.gql(REGISTER, { t, p: 'WEB' }, a.token);
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors?.[0]?.extensions?.field).toBe('token');
    }
    expect(codeOf(await graph.gql(REGISTER, { t: 'anon-token', p: 'WEB' }))).toBe('UNAUTHENTICATED');
    expect(await devices().countBy({ userId: a.id })).toBe(0);
    expect(await devices().countBy({ token: 'anon-token' })).toBe(0);
    ok(await graph.gql(REGISTER, { t: 'y'.repeat(512), p: 'WEB' }, a.token));
    expect(await devices().countBy({ userId: a.id })).toBe(1);
  });

  it('keeps the 20 most recently registered devices per user', async () => {
    const a = await graph.person('gadgets');
    const tokens = Array.from({ length: 21 }, (_, i) => `gadget-${i}-${a.id}`);
    for (const t of tokens) ok(await graph.gql(REGISTER, { t, p: 'ANDROID' }, a.token));
    const kept = (await devices().findBy({ userId: a.id })).map((d) => d.token);
    expect(kept).toHaveLength(20);
    expect(kept).not.toContain(tokens[0]);
    expect(kept.sort()).toEqual(tokens.slice(1).sort());
  });
});
