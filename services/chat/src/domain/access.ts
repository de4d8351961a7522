import type { EntityManager } from 'typeorm';
import { forbidden, lockRows, notFound } from '@moim/kit';
import {
  ChatBlockEntity,
  ChatMemberEntity,
  ChatRoomEntity,
  type ChatMember,
  type ChatRoom,
} from '../entities';

/**
 * The room and the caller's membership: NOT_FOUND for no room, FORBIDDEN for someone not in it.
 * `lock`: the room's row is locked first (sends to one room take turns on it).
 */
export async function memberRoom(
  manager: EntityManager,
  roomId: string,
  userId: string,
  options: { lock?: boolean } = {},
): Promise<{ room: ChatRoom; member: ChatMember }> {
  if (options.lock) await lockRows(manager, ChatRoomEntity, { id: roomId });
  const room = await manager.findOneBy(ChatRoomEntity, { id: roomId });
  if (!room) throw notFound(`No chat room ${roomId}`);
  const member = await manager.findOneBy(ChatMemberEntity, { roomId, userId });
  if (!member) throw forbidden('Only members of this room can do this');
  return { room, member };
}

/** The other person of a DIRECT room (null for a SECTION room or someone not in the pair). */
export function otherOf(room: ChatRoom, userId: string | null | undefined): string | null {
  if (room.kind !== 'DIRECT' || !room.directKey || !userId) return null;
  const [a, b] = room.directKey.split(':');
  if (a === userId) return b ?? null;
  if (b === userId) return a ?? null;
  return null;
}

/** The key of the DIRECT room of two people: their ids sorted. */
export const directKeyOf = (a: string, b: string): string => [a, b].sort().join(':');

/** Whether either of two people blocks the other (chat's replica of social's blocks). */
export async function eitherBlocks(manager: EntityManager, a: string, b: string): Promise<boolean> {
  return manager.existsBy(ChatBlockEntity, [
    { blockerId: a, blockedId: b, active: true },
    { blockerId: b, blockedId: a, active: true },
  ]);
}

/** Refuses a DIRECT room's exchange when either blocked the other. */
export async function refuseBlocked(manager: EntityManager, room: ChatRoom, userId: string): Promise<void> {
  const other = otherOf(room, userId);
  if (other && (await eitherBlocks(manager, userId, other)))
    throw forbidden('You cannot message this person (one of you blocked the other)');
}
