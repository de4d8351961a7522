import type { EntityManager } from 'typeorm';
import { GraphQLError } from 'graphql';
import {
  badInput,
  forbidden,
  isUniqueViolation,
  lockRows,
  newId,
  notFound,
  parseId,
  recordJob,
} from '@moim/kit';
import { replaceImages } from '@moim/media-refs';
import {
  ChatAttachmentEntity,
  ChatMemberEntity,
  ChatMessageEntity,
  ChatRoomEntity,
  type ChatMessage,
} from '../entities';
import { memberRoom, refuseBlocked } from './access';
import type { ChatDeps } from './context';
import { FANOUT_MESSAGE } from './jobs';
import { roomChannel, type PublishSlot } from './publish';
import { attachmentsOf, messageRepr, representations, type MessageRepr } from './repr';
import { attachmentIdsOf, bodyOf, clientMessageIdOf } from './validation';

export const subjectOf = (messageId: string) => `chat-message:${messageId}`;

/** media-refs speaks of images (field imageIds); a message's are attachments. */
async function asAttachments<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof GraphQLError && err.extensions.code === 'BAD_USER_INPUT')
      throw badInput(
        err.message.replace(/^(An )?[Ii]mage/, (_, an) => (an ? 'An attachment' : 'Attachment')),
        'attachmentIds',
      );
    if (isUniqueViolation(err))
      throw badInput(
        'An attachment is on another message already (an upload is attached once)',
        'attachmentIds',
      );
    throw err;
  }
}

/** Attaches the sender's CHAT uploads to a new message (refused with the id at fault). */
async function attach(manager: EntityManager, message: ChatMessage, mediaIds: string[]): Promise<void> {
  await asAttachments(async () => {
    await replaceImages(manager, {
      subject: subjectOf(message.id),
      uploaderId: message.senderId,
      purpose: 'CHAT',
      noun: 'a chat message',
      current: [],
      wanted: mediaIds,
    });
    await manager.insert(
      ChatAttachmentEntity,
      mediaIds.map((mediaId, position) => ({ messageId: message.id, mediaId, position })),
    );
  });
}

export interface SendInput {
  roomId: string;
  body?: string | null;
  clientMessageId: string;
  attachmentIds?: readonly string[] | null;
}

/**
 * Sends a message to a room the sender is in. Idempotent by (room, sender, clientMessageId): a
 * retried send returns the message already sent and changes nothing. In one transaction, on the
 * room's lock: the next seq, the room's last message, the sender's read position, the attachments
 * and the fan-out job. After the commit the room hears it, in seq order.
 */
export async function sendMessage(deps: ChatDeps, senderId: string, input: SendInput): Promise<ChatMessage> {
  const roomId = parseId(input.roomId, 'roomId');
  const clientMessageId = clientMessageIdOf(input.clientMessageId);
  const body = bodyOf(input.body);
  const attachmentIds = attachmentIdsOf(input.attachmentIds);
  if (!body && !attachmentIds.length) throw badInput('A message needs a body or an attachment', 'body');

  // The place of this send's MessageAdded among the room's events: taken under the room's lock.
  let slot: PublishSlot | undefined;
  const send = () =>
    deps.db.transaction(
      async (manager) => {
        const { room } = await memberRoom(manager, roomId, senderId, { lock: true });
        const existing = await manager.findOneBy(ChatMessageEntity, { roomId, senderId, clientMessageId });
        if (existing) return { message: existing, event: null };
        if (room.kind === 'DIRECT') await refuseBlocked(manager, room, senderId);
        slot?.cancel();
        slot = deps.publisher.reserve(roomId);
        const now = new Date();
        const message: ChatMessage = {
          id: newId(),
          roomId,
          seq: room.lastSeq + 1,
          senderId,
          body,
          clientMessageId,
          createdAt: now,
          editedAt: null,
          deletedAt: null,
        };
        await manager.insert(ChatMessageEntity, message);
        if (attachmentIds.length) await attach(manager, message, attachmentIds);
        await manager.update(
          ChatRoomEntity,
          { id: roomId },
          { lastSeq: message.seq, lastMessageId: message.id, lastActivityAt: now },
        );
        await manager.update(ChatMemberEntity, { roomId, userId: senderId }, { lastReadSeq: message.seq });
        await recordJob(manager, FANOUT_MESSAGE, { messageId: message.id }, { id: `fanout-${message.id}` });
        // Nobody else has read a message just sent.
        return { message, event: messageRepr(message, attachmentIds, 0) };
      },
      // After the room's lock, a retried send sees the first one's committed row.
      { isolation: 'READ COMMITTED' },
    );
  try {
    // The unique indexes decide a race the lock did not (the same clientMessageId twice at once).
    const { message, event } = await send().catch((err: unknown) =>
      isUniqueViolation(err) ? send() : Promise.reject(err),
    );
    if (event)
      slot?.publish(roomChannel(roomId), {
        seq: message.seq,
        data: { __typename: 'MessageAdded', message: event },
      });
    else slot?.cancel();
    return message;
  } catch (err) {
    slot?.cancel();
    throw err;
  }
}

/** The message, locked, and checked to be the caller's own. */
async function ownMessage(manager: EntityManager, userId: string, messageId: string): Promise<ChatMessage> {
  await lockRows(manager, ChatMessageEntity, { id: messageId });
  const message = await manager.findOneBy(ChatMessageEntity, { id: messageId });
  if (!message) throw notFound(`No message ${messageId}`);
  if (message.senderId !== userId) throw forbidden('You can only change your own messages');
  return message;
}

async function publishChange(
  deps: ChatDeps,
  type: 'MessageEdited' | 'MessageDeleted',
  message: ChatMessage,
  repr: MessageRepr,
): Promise<void> {
  void deps.publisher.publish(message.roomId, roomChannel(message.roomId), {
    data: { __typename: type, message: repr },
  });
}

/** Changes the body of one of the caller's messages (members only, not once deleted). */
export async function editMessage(
  deps: ChatDeps,
  userId: string,
  rawMessageId: string,
  rawBody: string,
): Promise<ChatMessage> {
  const messageId = parseId(rawMessageId, 'messageId');
  const body = bodyOf(rawBody);
  const result = await deps.db.transaction(async (manager) => {
    const message = await ownMessage(manager, userId, messageId);
    const { room } = await memberRoom(manager, message.roomId, userId);
    // Blocked in a direct room: no more words, edited ones included.
    if (room.kind === 'DIRECT') await refuseBlocked(manager, room, userId);
    if (message.deletedAt) throw badInput('This message was deleted', 'messageId');
    if (!body && !(await attachmentsOf(manager, [message.id])).get(message.id)?.length)
      throw badInput('A message needs a body or an attachment', 'body');
    if (body === message.body) return { message, repr: null };
    const edited: ChatMessage = { ...message, body, editedAt: new Date() };
    await manager.update(ChatMessageEntity, { id: messageId }, { body, editedAt: edited.editedAt });
    return { message: edited, repr: (await representations(manager, [edited]))[0]! };
  });
  if (result.repr) await publishChange(deps, 'MessageEdited', result.message, result.repr);
  return result.message;
}

/**
 * Deletes one of the caller's messages: it keeps its place (seq) without body or attachments
 * (media hears they are detached). Deleting twice is fine.
 */
export async function deleteMessage(
  deps: ChatDeps,
  userId: string,
  rawMessageId: string,
): Promise<ChatMessage> {
  const messageId = parseId(rawMessageId, 'messageId');
  const result = await deps.db.transaction(async (manager) => {
    const message = await ownMessage(manager, userId, messageId);
    if (message.deletedAt) return { message, repr: null };
    const current = (await attachmentsOf(manager, [message.id])).get(message.id) ?? [];
    if (current.length) {
      await replaceImages(manager, {
        subject: subjectOf(message.id),
        uploaderId: userId,
        purpose: 'CHAT',
        noun: 'a chat message',
        current,
        wanted: [],
      });
      await manager.delete(ChatAttachmentEntity, { messageId });
    }
    const deleted: ChatMessage = { ...message, body: null, deletedAt: new Date() };
    await manager.update(ChatMessageEntity, { id: messageId }, { body: null, deletedAt: deleted.deletedAt });
    return { message: deleted, repr: (await representations(manager, [deleted]))[0]! };
  });
  if (result.repr) await publishChange(deps, 'MessageDeleted', result.message, result.repr);
  return result.message;
}
