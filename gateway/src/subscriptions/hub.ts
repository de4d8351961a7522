import { randomUUID } from 'node:crypto';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import type { LiveEvent, LiveMessage, Logger, PubSub } from '@moim/kit';
import type { GatewayContext } from '../gateway';
import type { SubscriptionPlan } from './plan';

/**
 * Fan-out: every live channel with subscribers here is one pub/sub subscription of this gateway
 * replica, whatever its number of subscribers. Subscribers who sent the same operation with the
 * same variables form a *group*: an event costs one run of the plan per group (one `_entities`
 * call per other subgraph, not one per subscriber), serialised once; each subscriber's frame is
 * that JSON behind its own operation id, written to its socket. Events run concurrently but are
 * written in channel order, group by group.
 */

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
  /** The highest seq written: older or equal ones are duplicates of the backlog. */
  seq: number | null;
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

const INTERNAL = {
  message: 'Internal error resolving the event',
  extensions: { code: 'INTERNAL_SERVER_ERROR' },
};

export function createHub({ pubsub, logger, formatError, maxPending }: HubOptions) {
  const channels = new Map<string, Channel>();
  let stopped = false;

  /** One run of the plan for one event, as the JSON every subscriber of the group gets. */
  const runEvent = async (group: Group, data: unknown): Promise<string> => {
    const requestId = randomUUID();
    // Fields of other subgraphs are resolved as for an anonymous viewer: the result is shared by
    // every member of the group, whoever they are (membership was checked when they subscribed).
    const context: GatewayContext = {
      caller: { userId: null, role: null, ip: null, requestId },
      requestId,
      batchKey: requestId,
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
    if (seq !== undefined) {
      if (member.seq !== null && seq <= member.seq) return; // already written from the backlog
      member.seq = seq;
    }
    member.subscriber.write(json);
  };

  const onMessage = (channel: Channel, message: LiveMessage) => {
    if ('revoke' in message) {
      const { userId, message: reason } = message.revoke;
      for (const group of channel.groups.values())
        for (const member of group.members)
          if (member.subscriber.userId === userId)
            member.subscriber.end({ errors: [{ message: reason, extensions: { code: 'FORBIDDEN' } }] });
      return;
    }
    for (const group of channel.groups.values()) {
      const result = runEvent(group, message.data);
      group.tail = group.tail
        .then(() => result)
        .then((json) => {
          for (const member of group.members) deliver(member, message.seq, json);
        })
        .catch((err: unknown) => logger.error({ err }, 'subscription fan-out failed'));
    }
  };

  const openChannel = (name: string): Channel => {
    const channel = channels.get(name);
    if (channel) return channel;
    const created: Channel = {
      name,
      groups: new Map(),
      activeAt: null,
      ready: Promise.resolve(),
      unsubscribe: null,
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
    channel
      .unsubscribe()
      .catch((err: unknown) => logger.warn({ err, channel: channel.name }, 'unsubscribe failed'));
  };

  return {
    /**
     * Joins `subscriber` to the group of its operation on `channel`. Resolves once the channel is
     * live on this replica, with whether it already was when `since` (ms) passed — if not, events
     * published between the subgraph's backlog read and now may have been missed, and the caller
     * asks the subgraph again for what follows the backlog.
     */
    async join(
      channelName: string,
      key: string,
      plan: SubscriptionPlan,
      subscriber: Subscriber,
      since: number,
    ): Promise<{ membership: Membership; listeningSince: boolean }> {
      if (stopped) throw new Error('The gateway is stopping');
      const channel = openChannel(channelName);
      let group = channel.groups.get(key);
      if (!group) {
        group = { key, plan, members: new Set(), tail: Promise.resolve() };
        channel.groups.set(key, group);
      }
      const member: Member = { subscriber, pending: [], seq: null, left: false };
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
      const membership: Membership = {
        leave,
        async start(backlog) {
          // Run concurrently, written in order.
          const runs = backlog.map((event) => runEvent(joined, event.data));
          for (const [i, run] of runs.entries()) {
            const json = await run;
            if (member.left) return;
            const seq = backlog[i]!.seq;
            if (seq !== undefined) {
              if (member.seq !== null && seq <= member.seq) continue;
              member.seq = seq;
            }
            subscriber.write(json);
          }
          if (member.left) return;
          const waiting = member.pending ?? [];
          member.pending = null;
          for (const { seq, json } of waiting) deliver(member, seq, json);
        },
      };
      return { membership, listeningSince: channel.activeAt !== null && channel.activeAt <= since };
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
      await Promise.all(all.map((c) => c.unsubscribe?.().catch(() => undefined)));
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
