import { randomUUID } from 'node:crypto';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import type { LiveEvent, LiveMessage, Logger, PubSub } from '@moim/kit';
import type { GatewayContext } from '../gateway';
import { MAX_BATCHED_OPERATIONS } from '../transport';
import type { SubscriptionPlan } from './plan';

/**
 * Fan-out: every live channel with subscribers here is one pub/sub subscription of this gateway
 * replica, whatever its number of subscribers. Subscribers who sent the same operation with the
 * same variables form a *group*: an event costs one run of the plan per group (one `_entities`
 * call per other subgraph, not one per subscriber), serialised once; each subscriber's frame is
 * that JSON behind its own operation id, written to its socket. Events run concurrently but are
 * written in channel order, group by group.
 *
 * Events with a `seq` (a room's messages) are put back in order per channel: replicas of the
 * publishing subgraph may publish seq 6 before seq 5; a gap waits up to REORDER_MS for what is
 * missing, then what arrived goes on (a late event is still delivered, never dropped). Each
 * subscriber writes a seq at most once.
 */

/** How long an event waits for the seqs before it (published by another replica, a few ms behind). */
export const REORDER_MS = 150;
/** How long a revoke is remembered, for subscribers whose opening was under way when it came. */
const REVOKE_MEMORY_MS = 60_000;
/** Sockets written to in one go before the event loop gets a turn. */
const WRITE_SLICE = 500;
/** Backlog events run through the plan this many at a time: one batched request per subgraph. */
const BACKLOG_CHUNK = MAX_BATCHED_OPERATIONS;

/** The end of a subscription the client did not ask for. */
export type Ending = { errors: GraphQLFormattedError[] } | null;

/** One client subscription, as the hub sees it. */
export interface Subscriber {
  readonly userId: string | null;
  /** Writes one `next` frame whose payload is `json` (already serialised). */
  write(json: string): void;
  /** Ends the subscription (an error first, if given). */
  end(ending: Ending): void;
}

interface Member {
  subscriber: Subscriber;
  /** Until its backlog is written, live events wait here (with their seq), in order. */
  pending: Array<{ seq: number | undefined; json: string }> | null;
  /** Every seq up to `floor` is written (or predates the subscription); `written` holds those above. */
  floor: number | null;
  written: Set<number>;
  left: boolean;
}

interface Group {
  key: string;
  plan: SubscriptionPlan;
  members: Set<Member>;
  /** Settles when every event so far is written: the next one's writes chain after it. */
  tail: Promise<void>;
}

interface Channel {
  name: string;
  groups: Map<string, Group>;
  /** When this replica's pub/sub subscription became active (null while it is being made). */
  activeAt: number | null;
  ready: Promise<void>;
  unsubscribe: (() => Promise<void>) | null;
  /** The highest seq received, and the next one expected in order. */
  maxSeq: number;
  nextSeq: number | null;
  held: Map<number, LiveEvent>;
  holdTimer: NodeJS.Timeout | null;
  /** userId → when (and why) their subscriptions to this channel were revoked. */
  revoked: Map<string, { at: number; message: string }>;
}

export interface HubOptions {
  pubsub: PubSub;
  logger: Logger;
  /** Masks what clients must not see (production). */
  formatError: (error: GraphQLFormattedError) => GraphQLFormattedError;
  /** A subscriber whose backlog is still being written may hold this many live events, no more. */
  maxPending: number;
}

/** What the hub hands a subscription once it joined: its backlog writer and its way out. */
export interface Membership {
  /** Writes the backlog (run through the plan), then what arrived meanwhile, then goes live. */
  start(backlog: LiveEvent[]): Promise<void>;
  leave(): void;
}

export interface Joined {
  membership: Membership;
  /**
   * Whether events after `head` may have passed this replica before the subscriber joined (it was
   * not listening yet when the opening began, or such an event already came): the caller then
   * opens again with `sinceSeq: head` for them.
   */
  mayHaveMissed: boolean;
  /** The user's subscriptions to this channel were revoked while this one was opening. */
  revoked: string | null;
}

const INTERNAL = {
  message: 'Internal error resolving the event',
  extensions: { code: 'INTERNAL_SERVER_ERROR' },
};

/** Records a written seq; false when it was written before (or predates the subscription). */
function fresh(member: Member, seq: number): boolean {
  if (member.floor !== null && seq <= member.floor) return false;
  if (member.written.has(seq)) return false;
  member.written.add(seq);
  // Without a head to start from, the first seq written is the start.
  member.floor ??= seq - 1;
  while (member.written.delete(member.floor + 1)) member.floor += 1;
  return true;
}

export function createHub({ pubsub, logger, formatError, maxPending }: HubOptions) {
  const channels = new Map<string, Channel>();
  let stopped = false;
  // Runs started in one turn of the event loop (an event's groups, events arriving together) share
  // a batch key: the transport sends their fetches to each subgraph as one batched request, and the
  // subgraph's DataLoaders answer them with one query. Every run is anonymous, so any may share.
  let turnKey: string | null = null;
  const batchKeyOfTurn = () => {
    if (!turnKey) {
      turnKey = randomUUID();
      setImmediate(() => (turnKey = null));
    }
    return turnKey;
  };

  /** One run of the plan for one event, as the JSON every subscriber of the group gets. */
  const runEvent = async (group: Group, data: unknown, batchKey = batchKeyOfTurn()): Promise<string> => {
    const requestId = randomUUID();
    // Fields of other subgraphs are resolved as for an anonymous viewer: the result is shared by
    // every member of the group, whoever they are (membership was checked when they subscribed).
    const context: GatewayContext = {
      caller: { userId: null, role: null, ip: null, requestId },
      requestId,
      batchKey,
      logger,
    };
    try {
      const result: ExecutionResult = await group.plan.run(data, context, logger);
      return JSON.stringify({
        data: result.data ?? null,
        ...(result.errors?.length ? { errors: result.errors.map((e) => formatError(e.toJSON())) } : {}),
      });
    } catch (err) {
      logger.error({ err, field: group.plan.field }, 'subscription event failed');
      return JSON.stringify({ data: null, errors: [INTERNAL] });
    }
  };

  const deliver = (member: Member, seq: number | undefined, json: string) => {
    if (member.left) return;
    if (member.pending) {
      member.pending.push({ seq, json });
      if (member.pending.length > maxPending)
        member.subscriber.end({
          errors: [
            {
              message: 'Too many events arrived while catching up: subscribe again',
              extensions: { code: 'SLOW_CONSUMER' },
            },
          ],
        });
      return;
    }
    if (seq !== undefined && !fresh(member, seq)) return;
    member.subscriber.write(json);
  };

  /**
   * Writes an event to every member of a group. A large group is written in slices with a turn of
   * the event loop between them, so the gateway keeps answering (a mutation sent meanwhile is not
   * held behind 10,000 socket writes); the group's next event waits for the last slice.
   */
  const writeAll = async (group: Group, seq: number | undefined, json: string) => {
    let written = 0;
    for (const member of [...group.members]) {
      deliver(member, seq, json);
      if (++written % WRITE_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  /** Runs an event for every group of the channel, each group writing in channel order. */
  const dispatch = (channel: Channel, event: LiveEvent) => {
    for (const group of channel.groups.values()) {
      const result = runEvent(group, event.data);
      group.tail = group.tail
        .then(() => result)
        .then((json) => writeAll(group, event.seq, json))
        .catch((err: unknown) => logger.error({ err }, 'subscription fan-out failed'));
    }
  };

  /** Dispatches what is held, in seq order, and expects what follows it. */
  const releaseHeld = (channel: Channel) => {
    if (channel.holdTimer) clearTimeout(channel.holdTimer);
    channel.holdTimer = null;
    const seqs = [...channel.held.keys()].sort((a, b) => a - b);
    if (seqs.length)
      logger.warn(
        { channel: channel.name, expected: channel.nextSeq, got: seqs[0] },
        'live events out of order: gap',
      );
    for (const seq of seqs) dispatch(channel, channel.held.get(seq)!);
    channel.held.clear();
    if (seqs.length) channel.nextSeq = seqs.at(-1)! + 1;
  };

  const onMessage = (channel: Channel, message: LiveMessage) => {
    if ('revoke' in message) {
      const { userId, message: reason } = message.revoke;
      const now = Date.now();
      for (const [user, { at }] of channel.revoked)
        if (now - at > REVOKE_MEMORY_MS) channel.revoked.delete(user);
      channel.revoked.set(userId, { at: now, message: reason });
      for (const group of channel.groups.values())
        for (const member of group.members)
          if (member.subscriber.userId === userId)
            member.subscriber.end({ errors: [{ message: reason, extensions: { code: 'FORBIDDEN' } }] });
      return;
    }
    const { seq } = message;
    if (seq === undefined) return dispatch(channel, message);
    channel.maxSeq = Math.max(channel.maxSeq, seq);
    if (channel.nextSeq === null || seq <= channel.nextSeq) {
      // In order, or late after a gap was given up on (subscribers drop what they have).
      dispatch(channel, message);
      if (channel.nextSeq === null || seq === channel.nextSeq) {
        channel.nextSeq = seq + 1;
        while (channel.held.has(channel.nextSeq)) {
          dispatch(channel, channel.held.get(channel.nextSeq)!);
          channel.held.delete(channel.nextSeq);
          channel.nextSeq += 1;
        }
        if (channel.held.size === 0 && channel.holdTimer) {
          clearTimeout(channel.holdTimer);
          channel.holdTimer = null;
        }
      }
      return;
    }
    channel.held.set(seq, message);
    channel.holdTimer ??= setTimeout(() => releaseHeld(channel), REORDER_MS);
  };

  const openChannel = (name: string): Channel => {
    const existing = channels.get(name);
    if (existing) return existing;
    const created: Channel = {
      name,
      groups: new Map(),
      activeAt: null,
      ready: Promise.resolve(),
      unsubscribe: null,
      maxSeq: -1,
      nextSeq: null,
      held: new Map(),
      holdTimer: null,
      revoked: new Map(),
    };
    created.ready = pubsub
      .subscribe(name, (message) => onMessage(created, message as LiveMessage))
      .then((unsubscribe) => {
        created.activeAt = Date.now();
        created.unsubscribe = unsubscribe;
        // Everyone left while it was being made.
        if (created.groups.size === 0) closeChannel(created);
      })
      .catch((err: unknown) => {
        if (channels.get(name) === created) channels.delete(name);
        throw err;
      });
    channels.set(name, created);
    return created;
  };

  const closeChannel = (channel: Channel) => {
    if (channel.groups.size > 0 || !channel.unsubscribe || channels.get(channel.name) !== channel) return;
    channels.delete(channel.name);
    if (channel.holdTimer) clearTimeout(channel.holdTimer);
    channel
      .unsubscribe()
      .catch((err: unknown) => logger.warn({ err, channel: channel.name }, 'unsubscribe failed'));
  };

  return {
    /**
     * Joins `subscriber` to the group of its operation on `channel`, where `head` (the subgraph's
     * last seq when it read the backlog; undefined for channels without seqs) is its starting
     * point; `since` is when its opening began. Resolves once the channel is live here.
     */
    async join(
      channelName: string,
      key: string,
      plan: SubscriptionPlan,
      subscriber: Subscriber,
      opening: { since: number; head: number | undefined },
    ): Promise<Joined> {
      if (stopped) throw new Error('The gateway is stopping');
      const channel = openChannel(channelName);
      let group = channel.groups.get(key);
      if (!group) {
        group = { key, plan, members: new Set(), tail: Promise.resolve() };
        channel.groups.set(key, group);
      }
      const member: Member = {
        subscriber,
        pending: [],
        floor: opening.head ?? null,
        written: new Set(),
        left: false,
      };
      const joined = group;
      joined.members.add(member);
      const leave = () => {
        if (member.left) return;
        member.left = true;
        joined.members.delete(member);
        member.pending = null;
        if (joined.members.size === 0 && channel.groups.get(key) === joined) {
          channel.groups.delete(key);
          closeChannel(channel);
        }
      };
      try {
        await channel.ready;
      } catch (err) {
        leave();
        throw err;
      }
      const revoke = subscriber.userId ? channel.revoked.get(subscriber.userId) : undefined;
      const membership: Membership = {
        leave,
        async start(backlog) {
          // The backlog starts after the client's position, which may be before `head`.
          if (backlog.length && backlog[0]!.seq !== undefined)
            member.floor = Math.min(member.floor ?? Infinity, backlog[0]!.seq - 1);
          // Run in chunks, each chunk's fetches as one batch per subgraph; written in order.
          for (let i = 0; i < backlog.length; i += BACKLOG_CHUNK) {
            const chunk = backlog.slice(i, i + BACKLOG_CHUNK);
            const batchKey = randomUUID();
            const runs = await Promise.all(chunk.map((event) => runEvent(joined, event.data, batchKey)));
            for (const [j, json] of runs.entries()) {
              if (member.left) return;
              const seq = chunk[j]!.seq;
              if (seq === undefined || fresh(member, seq)) subscriber.write(json);
            }
          }
          if (member.left) return;
          const waiting = member.pending ?? [];
          member.pending = null;
          for (const { seq, json } of waiting) deliver(member, seq, json);
        },
      };
      return {
        membership,
        mayHaveMissed:
          channel.activeAt === null ||
          channel.activeAt > opening.since ||
          (opening.head !== undefined && channel.maxSeq > opening.head),
        revoked: revoke && revoke.at >= opening.since ? revoke.message : null,
      };
    },

    stats() {
      let groups = 0;
      let subscribers = 0;
      for (const channel of channels.values()) {
        groups += channel.groups.size;
        for (const group of channel.groups.values()) subscribers += group.members.size;
      }
      return { channels: channels.size, groups, subscribers };
    },

    async stop() {
      stopped = true;
      const all = [...channels.values()];
      channels.clear();
      for (const channel of all) if (channel.holdTimer) clearTimeout(channel.holdTimer);
      await Promise.all(all.map((c) => c.unsubscribe?.().catch(() => undefined)));
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
