import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyObject } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { ServiceName } from '@moim/events';
import { CALLER_HEADER, REQUEST_ID_HEADER, verifyCaller, type Caller } from './caller';
import { readRawBody, type HttpRoute } from './http';
import type { Logger } from './logger';
import type { PubSub } from './pubsub/pubsub';

/**
 * Live fields: how a subgraph's `Subscription` fields reach clients through the gateway (decision
 * record 0011). The subgraph never holds a client's socket. For each subscriber the gateway asks
 * the owning subgraph to *open* the field (`POST /live/open`, signed like any subgraph call): the
 * subgraph authorises the caller, names the pub/sub channel that carries the field's events and
 * returns what the subscriber missed (`after`). The subgraph then publishes each event once on
 * that channel, as the field's value in its own representation (the subgraph schema's field
 * names, scalars serialised, other subgraphs' entities as `{ __typename, id }` references); every
 * gateway replica with subscribers on the channel hears it once, executes it once per distinct
 * selection — the other subgraphs' fields through the query plan — and writes the same bytes to
 * every socket of that selection.
 */

/** One event of a live field. */
export interface LiveEvent {
  /**
   * Dense and increasing per channel for events that can be missed and replayed (a room's
   * messages); absent for the others (typing). The gateway drops what it has already delivered.
   */
  seq?: number;
  /** The field's value for this event, in the subgraph's representation. */
  data: unknown;
}

/** What travels on a live channel: an event, or the end of one user's subscriptions to it. */
export type LiveMessage = LiveEvent | { revoke: { userId: string; message: string } };

/** The subgraph's answer to opening a live field for one subscriber. */
export interface LiveOpening {
  /** The channel (as `liveChannel` names it) the field's events travel on. */
  channel: string;
  /** Events the subscriber missed, oldest first, delivered before the live ones. */
  backlog?: LiveEvent[];
  /**
   * For channels with `seq`: the last seq when the backlog was read. A gateway that was not yet
   * listening to the channel then opens again with `sinceSeq: head` once it is, for what was
   * published in between — so nothing falls between the backlog and the live events.
   */
  head?: number;
}

export interface LiveOpenOptions {
  /** Set on a second opening: the backlog is then every event after this seq (not `args`' position). */
  sinceSeq?: number;
}

/** A subscription field of a subgraph: authorises, and says where its events travel. */
export interface LiveField<C> {
  /** Throws a GraphQLError (FORBIDDEN, NOT_FOUND, BAD_USER_INPUT…) to refuse the subscriber. */
  open(args: Record<string, unknown>, context: C, options: LiveOpenOptions): Promise<LiveOpening>;
}

export const LIVE_OPEN_PATH = '/live/open';

/** The pub/sub channel `name` of `service`'s live events (namespaced, so services never collide). */
export const liveChannel = (service: ServiceName, name: string): string => `live:${service}:${name}`;

/** Publishes one event of a live field (fire and forget: the outbox carries what must not be lost). */
export function publishLive(pubsub: PubSub, channel: string, event: LiveEvent): Promise<void> {
  return pubsub.publish(channel, event);
}

/** Ends `userId`'s subscriptions to `channel` (they left the room), with `message` as the error. */
export function revokeLive(pubsub: PubSub, channel: string, userId: string, message: string): Promise<void> {
  return pubsub.publish(channel, { revoke: { userId, message } } satisfies LiveMessage);
}

/** The body the gateway posts to open a live field. */
export interface LiveOpenRequest {
  field: string;
  args: Record<string, unknown>;
  sinceSeq?: number;
}

/** What `/live/open` answers: the opening, or the GraphQL errors refusing it (HTTP 200 either way). */
export type LiveOpenResponse =
  { opening: LiveOpening } | { errors: Array<{ message: string; extensions: { code: string } }> };

/**
 * The `/live/open` route of a service with live fields. Like `/graphql`, it trusts only the
 * gateway's signature over the exact body.
 */
export function liveOpenRoute<C>(options: {
  service: ServiceName;
  fields: Record<string, LiveField<C>>;
  key: KeyObject;
  context: (caller: Caller, requestId: string) => C;
  logger: Logger;
}): HttpRoute {
  const { service, fields, key, context, logger } = options;
  const answer = (res: ServerResponse, status: number, body: LiveOpenResponse) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, status: number, code: string, message: string) =>
    answer(res, status, { errors: [{ message, extensions: { code } }] });

  return {
    name: 'live-open',
    prefix: LIVE_OPEN_PATH,
    methods: ['POST'],
    async handle(req: IncomingMessage, res: ServerResponse, requestId: string) {
      const body = await readRawBody(req);
      let caller: Caller;
      try {
        caller = verifyCaller(req.headers[CALLER_HEADER], key, service, body);
      } catch (err) {
        return refuse(res, 401, 'UNAUTHENTICATED', (err as Error).message);
      }
      let request: LiveOpenRequest;
      try {
        request = JSON.parse(body.toString('utf8')) as LiveOpenRequest;
        if (typeof request.field !== 'string' || typeof request.args !== 'object' || !request.args)
          throw new Error('expected { field, args }');
        if (request.sinceSeq !== undefined && !Number.isSafeInteger(request.sinceSeq))
          throw new Error('sinceSeq must be an integer');
      } catch (err) {
        return refuse(res, 400, 'BAD_REQUEST', `Malformed live open request: ${(err as Error).message}`);
      }
      const field = Object.hasOwn(fields, request.field) ? fields[request.field] : undefined;
      if (!field) return refuse(res, 400, 'BAD_REQUEST', `${service} has no live field ${request.field}`);
      const forwardedId = req.headers[REQUEST_ID_HEADER];
      try {
        const opening = await field.open(
          request.args,
          context(caller, typeof forwardedId === 'string' ? forwardedId : requestId),
          request.sinceSeq !== undefined ? { sinceSeq: request.sinceSeq } : {},
        );
        answer(res, 200, { opening });
      } catch (err) {
        if (err instanceof GraphQLError && typeof err.extensions.code === 'string')
          return refuse(res, 200, err.extensions.code, err.message);
        logger.error({ err, field: request.field }, 'live open failed');
        refuse(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
      }
    },
  };
}
