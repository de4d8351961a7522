import type { EntityManager } from 'typeorm';
import type { EventEnvelope, TimetableChange } from '@moim/events';
import {
  applyIfNewer,
  badInput,
  forbidden,
  isUniqueViolation,
  lockRows,
  newId,
  parseId,
  recordJob,
  revokeLive,
  type RateLimit,
} from '@moim/kit';
import {
  ChatMemberEntity,
  ChatMembershipVersionEntity,
  ChatMessageEntity,
  ChatRoomEntity,
  type ChatRoom,
} from '../entities';
import { directKeyOf, eitherBlocks, memberRoom, refuseBlocked } from './access';
import type { ChatDeps } from './context';
import { REVOKE_MEMBER } from './jobs';
import { roomChannel, userChannel } from './publish';

/** One typing notice per user per room in this long; a client repeats it while typing goes on. */
export const TYPING_LIMIT: RateLimit = { name: 'typing', max: 1, windowSeconds: 3, whenUnavailable: 'allow' };
/** How long a typing notice shows. */
export const TYPING_SHOWS_MS = 5000;
/** New direct rooms one person may open: each lands in someone else's list of rooms. */
export const DIRECT_ROOMS_LIMIT: RateLimit = {
  name: 'direct-rooms',
  max: 30,
  windowSeconds: 3600,
  whenUnavailable: 'allow',
};

/**
 * Whether this timetable event is newer than the last one applied for its (section, user), and
 * records it: a retried add overtaken by a remove must not bring the member back.
 */
async function isLatest(manager: EntityManager, change: TimetableChange, sequence: number): Promise<boolean> {
  const { sectionId, userId } = change;
  return applyIfNewer(
    manager,
    ChatMembershipVersionEntity,
    { section_id: sectionId, user_id: userId },
    {},
    { sectionId, userId },
    sequence,
  );
}

/** The section's room, made on first use (two first adds at once make one: section_id is unique). */
async function sectionRoom(manager: EntityManager, sectionId: string): Promise<ChatRoom> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const room = await manager.findOneBy(ChatRoomEntity, { sectionId });
    if (room) return room;
    const now = new Date();
    const made: ChatRoom = {
      id: newId(),
      kind: 'SECTION',
      sectionId,
      directKey: null,
      lastSeq: 0,
      memberCount: 0,
      lastMessageId: null,
      lastActivityAt: now,
      createdAt: now,
    };
    try {
      await manager.insert(ChatRoomEntity, made);
      return made;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  return manager.findOneByOrFail(ChatRoomEntity, { sectionId });
}

/**
 * `timetable.section.added`: the student joins the section's room (made on first use). Joining
 * twice changes nothing; a new member has read what was said before they came.
 */
export async function joinSectionRoom(
  manager: EntityManager,
  change: TimetableChange,
  event: Pick<EventEnvelope, 'sequence'>,
): Promise<void> {
  if (!(await isLatest(manager, change, event.sequence))) return;
  const { id: roomId } = await sectionRoom(manager, change.sectionId);
  await lockRows(manager, ChatRoomEntity, { id: roomId });
  if (await manager.existsBy(ChatMemberEntity, { roomId, userId: change.userId })) return;
  const room = await manager.findOneByOrFail(ChatRoomEntity, { id: roomId });
  await manager.insert(ChatMemberEntity, {
    roomId,
    userId: change.userId,
    joinedAt: new Date(),
    lastReadSeq: room.lastSeq,
    muted: false,
    lastPushedAt: null,
  });
  await manager.increment(ChatRoomEntity, { id: roomId }, 'memberCount', 1);
}

/**
 * `timetable.section.removed`: the student leaves the section's room; their subscriptions to it
 * end once this commits (a job, so only after the commit).
 */
export async function leaveSectionRoom(
  manager: EntityManager,
  change: TimetableChange,
  event: Pick<EventEnvelope, 'sequence'>,
): Promise<void> {
  if (!(await isLatest(manager, change, event.sequence))) return;
  const room = await manager.findOneBy(ChatRoomEntity, { sectionId: change.sectionId });
  if (!room) return;
  await lockRows(manager, ChatRoomEntity, { id: room.id });
  const deleted = await manager.delete(ChatMemberEntity, { roomId: room.id, userId: change.userId });
  if (!deleted.affected) return;
  await manager.decrement(ChatRoomEntity, { id: room.id }, 'memberCount', 1);
  await recordJob(manager, REVOKE_MEMBER, { roomId: room.id, userId: change.userId });
}

/** Ends a former member's subscriptions to a room (unless they joined it again meanwhile). */
export async function revokeMember(deps: ChatDeps, roomId: string, userId: string): Promise<void> {
  const back = await deps.db.transaction(
    (manager) => manager.existsBy(ChatMemberEntity, { roomId, userId }),
    {
      background: true,
    },
  );
  if (back) return;
  await revokeLive(deps.pubsub, roomChannel(roomId), userId, 'You are no longer a member of this room');
}

/**
 * The DIRECT room of the caller and `otherId`, made on first use; refused when either blocked the
 * other. Chat keeps no users: any id but the caller's own is taken.
 */
export async function openDirectRoom(deps: ChatDeps, userId: string, rawOther: string): Promise<ChatRoom> {
  const otherId = parseId(rawOther, 'userId');
  if (otherId === userId) throw badInput('A direct room is with someone else', 'userId');
  const manager = deps.db.dataSource.manager;
  if (await eitherBlocks(manager, userId, otherId))
    throw forbidden('You cannot message this person (one of you blocked the other)');
  const directKey = directKeyOf(userId, otherId);
  const existing = await manager.findOneBy(ChatRoomEntity, { directKey });
  if (existing) return existing;
  await deps.rateLimiter.hit(DIRECT_ROOMS_LIMIT, userId);
  try {
    return await deps.db.transaction(async (tx) => {
      const now = new Date();
      const room: ChatRoom = {
        id: newId(),
        kind: 'DIRECT',
        sectionId: null,
        directKey,
        lastSeq: 0,
        memberCount: 2,
        lastMessageId: null,
        lastActivityAt: now,
        createdAt: now,
      };
      await tx.insert(ChatRoomEntity, room);
      await tx.insert(
        ChatMemberEntity,
        [userId, otherId].map((id) => ({
          roomId: room.id,
          userId: id,
          joinedAt: now,
          lastReadSeq: 0,
          muted: false,
          lastPushedAt: null,
        })),
      );
      return room;
    });
  } catch (err) {
    // Both opened it at once: the other's room is the room.
    if (!isUniqueViolation(err)) throw err;
    return manager.findOneByOrFail(ChatRoomEntity, { directKey });
  }
}

/** Mutes or unmutes the room's pushes for the caller (members only). */
export async function setMuted(deps: ChatDeps, userId: string, rawRoomId: string, muted: boolean) {
  const roomId = parseId(rawRoomId, 'roomId');
  const manager = deps.db.dataSource.manager;
  const { room } = await memberRoom(manager, roomId, userId);
  await manager.update(ChatMemberEntity, { roomId, userId }, { muted });
  return room;
}

/**
 * Moves the caller's read position forward to `messageId` (never back). When it moved, the room
 * hears who read what, and the caller's other devices their new unread count.
 */
export async function markRoomRead(
  deps: ChatDeps,
  userId: string,
  rawRoomId: string,
  rawMessageId: string,
): Promise<ChatRoom> {
  const roomId = parseId(rawRoomId, 'roomId');
  const messageId = parseId(rawMessageId, 'messageId');
  const manager = deps.db.dataSource.manager;
  const { room } = await memberRoom(manager, roomId, userId);
  const message = await manager.findOneBy(ChatMessageEntity, { id: messageId });
  if (!message || message.roomId !== roomId)
    throw badInput('messageId is not a message of this room', 'messageId');
  const moved = await manager
    .createQueryBuilder()
    .update(ChatMemberEntity)
    .set({ lastReadSeq: message.seq })
    .where('room_id = :roomId AND user_id = :userId AND last_read_seq < :seq', {
      roomId,
      userId,
      seq: message.seq,
    })
    .execute();
  if (moved.affected) {
    const now = new Date().toISOString();
    const fresh = await manager.findOneByOrFail(ChatRoomEntity, { id: roomId });
    const member = await manager.findOneBy(ChatMemberEntity, { roomId, userId });
    void deps.publisher.publish(roomId, roomChannel(roomId), {
      data: {
        __typename: 'RoomRead',
        roomId,
        reader: { __typename: 'User', id: userId },
        messageId,
        readAt: now,
      },
    });
    void deps.publisher.publish(`user:${userId}`, userChannel(userId), {
      data: {
        __typename: 'ChatActivity',
        roomId,
        unreadCount: Math.max(0, fresh.lastSeq - (member?.lastReadSeq ?? fresh.lastSeq)),
        message: null,
      },
    });
    return fresh;
  }
  return room;
}

/**
 * Tells the room the caller is typing; false (and nothing sent) when they did so in the last
 * TYPING_LIMIT seconds.
 */
export async function typing(deps: ChatDeps, userId: string, rawRoomId: string): Promise<boolean> {
  const roomId = parseId(rawRoomId, 'roomId');
  const manager = deps.db.dataSource.manager;
  const { room } = await memberRoom(manager, roomId, userId);
  if (room.kind === 'DIRECT') await refuseBlocked(manager, room, userId);
  try {
    await deps.rateLimiter.hit(TYPING_LIMIT, `${userId}:${roomId}`);
  } catch (err) {
    if ((err as { extensions?: { code?: string } }).extensions?.code === 'RATE_LIMITED') return false;
    throw err;
  }
  void deps.publisher.publish(roomId, roomChannel(roomId), {
    data: {
      __typename: 'Typing',
      roomId,
      user: { __typename: 'User', id: userId },
      until: new Date(Date.now() + TYPING_SHOWS_MS).toISOString(),
    },
  });
  return true;
}
