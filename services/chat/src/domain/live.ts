import { MoreThan } from 'typeorm';
import {
  badInput,
  parseId,
  requireUser,
  type LiveField,
  type LiveOpening,
  type LiveOpenOptions,
} from '@moim/kit';
import { ChatMessageEntity } from '../entities';
import { memberRoom } from './access';
import type { ChatContext, ChatDeps } from './context';
import { roomChannel, userChannel } from './publish';
import { representations } from './repr';

/** Missed messages `roomEvents(after:)` replays; further back, a client pages with messages(after:). */
export const MAX_BACKLOG = 1000;

/**
 * `roomEvents(roomId, after, fromStart)`: members only. With `after` (the last message the client
 * has), the messages since come first as MessageAdded events with their seqs, oldest first; with
 * `fromStart`, every message of the room (since seq 0). `head` is the
 * room's last seq read *before* the backlog, so a gateway opening again with `sinceSeq: head`
 * (it was not yet listening when this was read) gets everything published since, at worst
 * twice — it drops seqs it already wrote.
 */
export async function openRoomEvents(
  deps: ChatDeps,
  args: Record<string, unknown>,
  context: ChatContext,
  options: LiveOpenOptions = {},
): Promise<LiveOpening> {
  const userId = requireUser(context.caller);
  if (typeof args.roomId !== 'string') throw badInput('roomId is required', 'roomId');
  const roomId = parseId(args.roomId, 'roomId');
  const manager = deps.db.dataSource.manager;
  const { room } = await memberRoom(manager, roomId, userId);
  const channel = roomChannel(roomId);
  const head = room.lastSeq;
  let since: number;
  if (options.sinceSeq !== undefined) since = options.sinceSeq;
  else if (args.after === undefined || args.after === null) {
    if (args.fromStart !== true) return { channel, head };
    since = 0;
  } else {
    if (args.fromStart === true) throw badInput('after and fromStart exclude each other', 'fromStart');
    if (typeof args.after !== 'string') throw badInput('after is a message id', 'after');
    const afterId = parseId(args.after, 'after');
    const after = await manager.findOneBy(ChatMessageEntity, { id: afterId });
    if (!after || after.roomId !== roomId) throw badInput('after is not a message of this room', 'after');
    since = after.seq;
  }
  const missed = await manager.find(ChatMessageEntity, {
    where: { roomId, seq: MoreThan(since) },
    order: { seq: 'ASC' },
    take: MAX_BACKLOG + 1,
  });
  if (missed.length > MAX_BACKLOG)
    throw badInput(
      `More than ${MAX_BACKLOG} messages since: page through them with messages(after:) first`,
      'after',
    );
  const reprs = await representations(manager, missed);
  return {
    channel,
    head,
    backlog: missed.map((m, i) => ({ seq: m.seq, data: { __typename: 'MessageAdded', message: reprs[i] } })),
  };
}

/** `myChatEvents`: the caller's own channel (no backlog: unread counts come with the rooms). */
export async function openMyChatEvents(
  _deps: ChatDeps,
  _args: Record<string, unknown>,
  context: ChatContext,
): Promise<LiveOpening> {
  return { channel: userChannel(requireUser(context.caller)) };
}

export const chatLiveFields = (deps: ChatDeps): Record<string, LiveField<ChatContext>> => ({
  roomEvents: { open: (args, context, options) => openRoomEvents(deps, args, context, options) },
  myChatEvents: { open: (args, context) => openMyChatEvents(deps, args, context) },
});
