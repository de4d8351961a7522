import { forbidden, pageOf, parseId, requireUser, toConnection, type PageArgs } from '@moim/kit';
import { memberRoom, otherOf } from '../domain/access';
import type { ChatContext } from '../domain/context';
import { deleteMessage, editMessage, sendMessage, type SendInput } from '../domain/messages';
import { messageConnection, windowOf, type MessagePageArgs } from '../domain/paging';
import { markRoomRead, openDirectRoom, setMuted, typing } from '../domain/rooms';
import { ChatMemberEntity, ChatRoomEntity, type ChatMessage, type ChatRoom } from '../entities';

/** The caller's membership of a room, or FORBIDDEN: what members-only fields check first. */
async function requireMember(ctx: ChatContext, room: ChatRoom) {
  const member = await ctx.loaders.membership.load(room.id);
  if (!member) throw forbidden('Only members of this room can read its messages');
  return member;
}

/** The caller's rooms, most recent activity first, by keyset on (last_activity_at, id). */
async function roomsOf(ctx: ChatContext, userId: string, args: PageArgs) {
  const page = pageOf(args);
  const qb = ctx.deps.db.dataSource
    .getRepository(ChatRoomEntity)
    .createQueryBuilder('r')
    .innerJoin(ChatMemberEntity.options.name, 'm', 'm.room_id = r.id AND m.user_id = :userId', { userId });
  if (page.after)
    qb.andWhere('(r.last_activity_at < :afterAt OR (r.last_activity_at = :afterAt AND r.id < :afterId))', {
      afterAt: page.after.createdAt,
      afterId: page.after.id,
    });
  const rooms = await qb
    .orderBy('r.lastActivityAt', 'DESC')
    .addOrderBy('r.id', 'DESC')
    .limit(page.size + 1)
    .getMany();
  for (const room of rooms) ctx.loaders.room.prime(room.id, room);
  return toConnection(rooms, page.size, (r) => ({ createdAt: r.lastActivityAt, id: r.id }));
}

export const chatResolvers = {
  Query: {
    chatRoom: async (_: unknown, args: { id: string }, ctx: ChatContext) => {
      const userId = requireUser(ctx.caller);
      const { room } = await memberRoom(ctx.deps.db.dataSource.manager, parseId(args.id), userId);
      return room;
    },
  },
  Mutation: {
    openDirectRoom: (_: unknown, args: { userId: string }, ctx: ChatContext) =>
      openDirectRoom(ctx.deps, requireUser(ctx.caller), args.userId),
    sendMessage: (_: unknown, args: SendInput, ctx: ChatContext) =>
      sendMessage(ctx.deps, requireUser(ctx.caller), args),
    editMessage: (_: unknown, args: { messageId: string; body: string }, ctx: ChatContext) =>
      editMessage(ctx.deps, requireUser(ctx.caller), args.messageId, args.body),
    deleteMessage: (_: unknown, args: { messageId: string }, ctx: ChatContext) =>
      deleteMessage(ctx.deps, requireUser(ctx.caller), args.messageId),
    markRoomRead: (_: unknown, args: { roomId: string; messageId: string }, ctx: ChatContext) =>
      markRoomRead(ctx.deps, requireUser(ctx.caller), args.roomId, args.messageId),
    mute: (_: unknown, args: { roomId: string }, ctx: ChatContext) =>
      setMuted(ctx.deps, requireUser(ctx.caller), args.roomId, true),
    unmute: (_: unknown, args: { roomId: string }, ctx: ChatContext) =>
      setMuted(ctx.deps, requireUser(ctx.caller), args.roomId, false),
    typing: (_: unknown, args: { roomId: string }, ctx: ChatContext) =>
      typing(ctx.deps, requireUser(ctx.caller), args.roomId),
  },
  ChatRoom: {
    // A room seen from another subgraph's plan: the room, members-only fields guarded as ever.
    __resolveReference: (ref: { id: string }, ctx: ChatContext) => ctx.loaders.room.load(ref.id),
    section: (room: ChatRoom) => (room.sectionId ? { __typename: 'Section', id: room.sectionId } : null),
    otherUser: (room: ChatRoom, _: unknown, ctx: ChatContext) => {
      const other = otherOf(room, ctx.caller.userId);
      return other ? { __typename: 'User', id: other } : null;
    },
    unreadCount: async (room: ChatRoom, _: unknown, ctx: ChatContext) => {
      const member = await ctx.loaders.membership.load(room.id);
      return member ? Math.max(0, room.lastSeq - member.lastReadSeq) : 0;
    },
    muted: async (room: ChatRoom, _: unknown, ctx: ChatContext) =>
      (await ctx.loaders.membership.load(room.id))?.muted ?? false,
    isMember: async (room: ChatRoom, _: unknown, ctx: ChatContext) =>
      (await ctx.loaders.membership.load(room.id)) !== null,
    lastMessage: async (room: ChatRoom, _: unknown, ctx: ChatContext) => {
      await requireMember(ctx, room);
      return room.lastMessageId ? ctx.loaders.message.load(room.lastMessageId) : null;
    },
    messages: async (room: ChatRoom, args: MessagePageArgs, ctx: ChatContext) => {
      const window = windowOf(args);
      await requireMember(ctx, room);
      return messageConnection(await ctx.loaders.messagePage(window).load(room.id), window);
    },
  },
  ChatMessage: {
    // Members only, as the room's messages.
    __resolveReference: async (ref: { id: string }, ctx: ChatContext) => {
      const message = await ctx.loaders.message.load(ref.id);
      return message && (await ctx.loaders.membership.load(message.roomId)) ? message : null;
    },
    sender: (m: ChatMessage) => ({ __typename: 'User', id: m.senderId }),
    body: (m: ChatMessage) => (m.deletedAt ? null : m.body),
    attachments: async (m: ChatMessage, _: unknown, ctx: ChatContext) =>
      m.deletedAt
        ? []
        : (await ctx.loaders.attachments.load(m.id)).map((id) => ({ __typename: 'Media', id })),
    deleted: (m: ChatMessage) => m.deletedAt !== null,
    readBy: (m: ChatMessage, _: unknown, ctx: ChatContext) => ctx.loaders.readBy.load(m.id),
  },
  Section: {
    // Signed-in users see whether a section has a room; its messages stay members-only.
    chatRoom: (section: { id: string }, _: unknown, ctx: ChatContext) =>
      ctx.caller.userId ? ctx.loaders.roomOfSection.load(section.id) : null,
  },
  User: {
    chatRooms: (user: { id: string }, args: PageArgs, ctx: ChatContext) => {
      const userId = requireUser(ctx.caller);
      if (user.id !== userId) throw forbidden('Only your own chat rooms');
      return roomsOf(ctx, userId, args);
    },
  },
};
