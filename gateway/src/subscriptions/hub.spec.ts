import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, type LiveMessage } from '@moim/kit';
import { createLocalPubSub, eventually } from '@moim/kit/testing';
import { createHub, REORDER_MS, type Ending, type Subscriber } from './hub';
import type { SubscriptionPlan } from './plan';

// The hub without a graph: a plan that records its runs, subscribers that record their frames.
const logger = createLogger('hub-spec', 'silent');
const pubsub = createLocalPubSub({ logger });
afterEach(async () => {
  await hub.stop();
});

let hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });

function fakePlan(delays: (event: { n: number }) => number = () => 0) {
  const runs: number[] = [];
  const plan = {
    subgraph: 'chat',
    field: 'roomEvents',
    args: {},
    variables: {},
    run: async (event: unknown) => {
      const { n } = event as { n: number };
      runs.push(n);
      await new Promise((r) => setTimeout(r, delays({ n })));
      return { data: { n } };
    },
  } as unknown as SubscriptionPlan;
  return { plan, runs };
}

function recorder(userId: string | null = 'u1') {
  const frames: number[] = [];
  const endings: Ending[] = [];
  const subscriber: Subscriber = {
    userId,
    write: (json) => frames.push((JSON.parse(json) as { data: { n: number } }).data.n),
    end: (ending) => endings.push(ending),
  };
  return { subscriber, frames, endings };
}

const publish = (channel: string, message: LiveMessage) => pubsub.publish(channel, message);
/** An opening that began now, from `head`. */
const at = (head?: number, since = Date.now()) => ({ since, head });

describe('the subscription hub', () => {
  it('runs an event once per group, whatever the number of subscribers, and writes it to each', async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const { plan, runs } = fakePlan();
    const subs = Array.from({ length: 20 }, () => recorder());
    for (const s of subs) {
      const { membership } = await hub.join('room:1', 'same', plan, s.subscriber, at());
      await membership.start([]);
    }
    const other = fakePlan();
    const different = recorder();
    await (await hub.join('room:1', 'other', other.plan, different.subscriber, at())).membership.start([]);
    await publish('room:1', { seq: 1, data: { n: 1 } });
    await eventually(() => subs.every((s) => s.frames.length === 1) && different.frames.length === 1);
    expect(runs).toEqual([1]);
    expect(other.runs).toEqual([1]);
    expect(hub.stats()).toEqual({ channels: 1, groups: 2, subscribers: 21 });
  });

  it('writes events in channel order even when a later one resolves first', async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const { plan } = fakePlan(({ n }) => (n === 1 ? 50 : 0));
    const s = recorder();
    await (await hub.join('room:2', 'k', plan, s.subscriber, at())).membership.start([]);
    for (const n of [1, 2, 3]) await publish('room:2', { seq: n, data: { n } });
    await eventually(() => s.frames.length === 3);
    expect(s.frames).toEqual([1, 2, 3]);
  });

  it('writes the backlog first, then what arrived meanwhile, never a seq twice', async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const { plan } = fakePlan();
    const s = recorder();
    const { membership } = await hub.join('room:3', 'k', plan, s.subscriber, at());
    // Published while the subscriber's backlog is being read: 4 is also in the backlog.
    await publish('room:3', { seq: 4, data: { n: 4 } });
    await publish('room:3', { seq: 5, data: { n: 5 } });
    await eventually(() => hub.stats().subscribers === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.frames).toEqual([]);
    await membership.start([2, 3, 4].map((n) => ({ seq: n, data: { n } })));
    await publish('room:3', { seq: 6, data: { n: 6 } });
    await eventually(() => s.frames.length === 5);
    expect(s.frames).toEqual([2, 3, 4, 5, 6]);
  });

  it('ends a subscriber that piles up too many events while catching up', async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const { plan } = fakePlan();
    const s = recorder();
    await hub.join('room:4', 'k', plan, s.subscriber, at());
    for (let n = 1; n <= 6; n++) await publish('room:4', { seq: n, data: { n } });
    await eventually(() => s.endings.length > 0);
    expect(s.endings[0]!.errors[0]!.extensions!.code).toBe('SLOW_CONSUMER');
  });

  it("ends only the revoked user's subscriptions, with FORBIDDEN", async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const { plan } = fakePlan();
    const [leaving, staying] = [recorder('leaver'), recorder('stayer')];
    for (const s of [leaving, staying])
      await (await hub.join('room:5', 'k', plan, s.subscriber, at())).membership.start([]);
    await publish('room:5', { revoke: { userId: 'leaver', message: 'You left' } });
    await eventually(() => leaving.endings.length === 1);
    expect(leaving.endings[0]).toEqual({
      errors: [{ message: 'You left', extensions: { code: 'FORBIDDEN' } }],
    });
    expect(staying.endings).toEqual([]);
  });

  it('stops listening to a channel when its last subscriber leaves', async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const { plan } = fakePlan();
    const s = recorder();
    const { membership, mayHaveMissed } = await hub.join(
      'room:6',
      'k',
      plan,
      s.subscriber,
      at(0, Date.now() - 1000),
    );
    // The channel was not heard before this subscriber came: the caller must ask for what it missed.
    expect(mayHaveMissed).toBe(true);
    const second = await hub.join('room:6', 'k', plan, recorder().subscriber, at(0, Date.now() + 1));
    expect(second.mayHaveMissed).toBe(false);
    expect(await pubsub.listening(['room:6'])).toEqual([true]);
    membership.leave();
    second.membership.leave();
    await eventually(async () => (await pubsub.listening(['room:6']))[0] === false);
    expect(hub.stats()).toEqual({ channels: 0, groups: 0, subscribers: 0 });
  });

  it('puts seqs back in order when replicas publish them out of order, dropping none', async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const { plan } = fakePlan();
    const s = recorder();
    await (await hub.join('room:8', 'k', plan, s.subscriber, at(0))).membership.start([]);
    for (const n of [1, 3, 2, 5, 4]) await publish('room:8', { seq: n, data: { n } });
    await eventually(() => s.frames.length === 5);
    expect(s.frames).toEqual([1, 2, 3, 4, 5]);
  });

  it('gives up waiting for a missing seq after a moment, and still delivers it once if it comes', async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const { plan } = fakePlan();
    const s = recorder();
    await (await hub.join('room:9', 'k', plan, s.subscriber, at(0))).membership.start([]);
    await publish('room:9', { seq: 1, data: { n: 1 } });
    await publish('room:9', { seq: 3, data: { n: 3 } });
    await eventually(() => s.frames.length === 1);
    await new Promise((r) => setTimeout(r, REORDER_MS / 2));
    expect(s.frames).toEqual([1]); // 3 waits for 2
    await eventually(() => s.frames.length === 2, 2000);
    await publish('room:9', { seq: 2, data: { n: 2 } }); // late
    await publish('room:9', { seq: 3, data: { n: 3 } }); // a duplicate
    await publish('room:9', { seq: 4, data: { n: 4 } });
    await eventually(() => s.frames.length === 4);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.frames).toEqual([1, 3, 2, 4]);
  });

  it('says a joiner may have missed events when one after its head already passed', async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const { plan } = fakePlan();
    const first = recorder();
    await (await hub.join('room:10', 'k', plan, first.subscriber, at(0))).membership.start([]);
    const since = Date.now();
    await publish('room:10', { seq: 1, data: { n: 1 } });
    await eventually(() => first.frames.length === 1);
    // The second subscriber's opening read head 0 before seq 1 was published.
    const late = await hub.join('room:10', 'k', plan, recorder().subscriber, at(0, since));
    expect(late.mayHaveMissed).toBe(true);
    const current = await hub.join('room:10', 'k', plan, recorder().subscriber, at(1, since));
    expect(current.mayHaveMissed).toBe(false);
  });

  it('refuses a subscriber whose user was revoked while it was opening', async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const { plan } = fakePlan();
    const keeper = recorder('other');
    await (await hub.join('room:11', 'k', plan, keeper.subscriber, at())).membership.start([]);
    const since = Date.now();
    await publish('room:11', { revoke: { userId: 'leaver', message: 'You left' } });
    await new Promise((r) => setTimeout(r, 20));
    const joined = await hub.join('room:11', 'k', plan, recorder('leaver').subscriber, at(undefined, since));
    expect(joined.revoked).toBe('You left');
    const later = await hub.join(
      'room:11',
      'k',
      plan,
      recorder('leaver').subscriber,
      at(undefined, Date.now() + 1),
    );
    expect(later.revoked).toBeNull();
  });

  it('turns a failing run into an error frame, and keeps going', async () => {
    hub = createHub({ pubsub, logger, formatError: (e) => e, maxPending: 5 });
    const s = { ...recorder(), raw: [] as string[] };
    s.subscriber.write = (json) => s.raw.push(json);
    const plan = {
      field: 'roomEvents',
      run: async (event: unknown) => {
        if ((event as { n: number }).n === 1) throw new Error('boom');
        return { data: event };
      },
    } as unknown as SubscriptionPlan;
    await (await hub.join('room:7', 'k', plan, s.subscriber, at())).membership.start([]);
    await publish('room:7', { data: { n: 1 } });
    await publish('room:7', { data: { n: 2 } });
    await eventually(() => s.raw.length === 2);
    expect(JSON.parse(s.raw[0]!)).toEqual({
      data: null,
      errors: [
        { message: 'Internal error resolving the event', extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      ],
    });
    expect(JSON.parse(s.raw[1]!)).toEqual({ data: { n: 2 } });
  });
});
