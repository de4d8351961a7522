import { In, type EntityManager } from 'typeorm';
import { ChatAttachmentEntity, type ChatMessage } from '../entities';

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

/**
 * Each message's readBy, counted by the database in one query (on the members' read index): a
 * room of 10,000 members sends back a number per message, not its 10,000 read positions.
 */
export async function readByCounts(
  manager: EntityManager,
  messageIds: readonly string[],
): Promise<Map<string, number>> {
  const counts = new Map<string, number>(messageIds.map((id) => [id, 0]));
  if (!messageIds.length) return counts;
  const rows = await manager
    .createQueryBuilder()
    .select('m.id', 'id')
    .addSelect('COUNT(r.user_id)', 'n')
    .from('chat_messages', 'm')
    .innerJoin(
      'chat_members',
      'r',
      'r.room_id = m.room_id AND r.last_read_seq >= m.seq AND r.user_id <> m.sender_id',
    )
    .where('m.id IN (:...ids)', { ids: [...messageIds] })
    .groupBy('m.id')
    .getRawMany<{ id: string; n: string | number }>();
  for (const row of rows) counts.set(row.id, Number(row.n));
  return counts;
}

/** The representations of messages (two queries whatever their number). */
export async function representations(
  manager: EntityManager,
  messages: readonly ChatMessage[],
): Promise<MessageRepr[]> {
  if (!messages.length) return [];
  const ids = messages.map((m) => m.id);
  const [attachments, readBy] = await Promise.all([attachmentsOf(manager, ids), readByCounts(manager, ids)]);
  return messages.map((m) => messageRepr(m, attachments.get(m.id) ?? [], readBy.get(m.id) ?? 0));
}
