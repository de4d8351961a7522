import { In, type EntityManager } from 'typeorm';
import { ChatAttachmentEntity, ChatMemberEntity, type ChatMessage } from '../entities';

/** A member's read position: who read a room up to which seq. */
export interface ReadPosition {
  userId: string;
  lastReadSeq: number;
}

/** How many members other than the sender have read up to `message`. */
export const readByOf = (positions: readonly ReadPosition[], message: ChatMessage): number =>
  positions.reduce((n, p) => (p.userId !== message.senderId && p.lastReadSeq >= message.seq ? n + 1 : n), 0);

/**
 * A message as live events carry it (the chat subgraph's representation of `ChatMessage`): every
 * field of the type, scalars serialised, other subgraphs' entities as references. The gateway runs
 * each subscriber's selection against it, so nothing may be missing. Deleted: no body, no
 * attachments.
 */
export function messageRepr(message: ChatMessage, attachmentIds: readonly string[], readBy: number) {
  const deleted = message.deletedAt !== null;
  return {
    __typename: 'ChatMessage' as const,
    id: message.id,
    roomId: message.roomId,
    sender: { __typename: 'User' as const, id: message.senderId },
    body: deleted ? null : message.body,
    attachments: deleted ? [] : attachmentIds.map((id) => ({ __typename: 'Media' as const, id })),
    clientMessageId: message.clientMessageId,
    createdAt: message.createdAt.toISOString(),
    editedAt: message.editedAt?.toISOString() ?? null,
    deleted,
    readBy,
  };
}

export type MessageRepr = ReturnType<typeof messageRepr>;

/** Each message's attachment ids in order, in one query. */
export async function attachmentsOf(
  manager: EntityManager,
  messageIds: readonly string[],
): Promise<Map<string, string[]>> {
  const byMessage = new Map<string, string[]>(messageIds.map((id) => [id, []]));
  if (!messageIds.length) return byMessage;
  const rows = await manager.find(ChatAttachmentEntity, {
    where: { messageId: In([...messageIds]) },
    order: { position: 'ASC' },
  });
  for (const row of rows) byMessage.get(row.messageId)?.push(row.mediaId);
  return byMessage;
}

/** The read positions of every member of the rooms, in one query. */
export async function readPositionsOf(
  manager: EntityManager,
  roomIds: readonly string[],
): Promise<Map<string, ReadPosition[]>> {
  const byRoom = new Map<string, ReadPosition[]>(roomIds.map((id) => [id, []]));
  if (!roomIds.length) return byRoom;
  const rows = await manager.find(ChatMemberEntity, {
    select: { roomId: true, userId: true, lastReadSeq: true },
    where: { roomId: In([...roomIds]) },
  });
  for (const row of rows) byRoom.get(row.roomId)?.push({ userId: row.userId, lastReadSeq: row.lastReadSeq });
  return byRoom;
}

/** The representations of messages (two queries whatever their number). */
export async function representations(
  manager: EntityManager,
  messages: readonly ChatMessage[],
): Promise<MessageRepr[]> {
  if (!messages.length) return [];
  const [attachments, positions] = await Promise.all([
    attachmentsOf(
      manager,
      messages.map((m) => m.id),
    ),
    readPositionsOf(manager, [...new Set(messages.map((m) => m.roomId))]),
  ]);
  return messages.map((m) =>
    messageRepr(m, attachments.get(m.id) ?? [], readByOf(positions.get(m.roomId) ?? [], m)),
  );
}
