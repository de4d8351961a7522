import { EntitySchema } from 'typeorm';
import { MediaRefEntity } from '@moim/media-refs';
import { bigintAsString } from '@moim/kit';

export type ChatRoomKind = 'SECTION' | 'DIRECT';

/** A room: one per course section (made when someone first puts it on a timetable), or of two people. */
export interface ChatRoom {
  id: string;
  kind: ChatRoomKind;
  /** SECTION rooms: the section (unique). */
  sectionId: string | null;
  /** DIRECT rooms: the two user ids sorted and joined by ':' (unique). */
  directKey: string | null;
  /** The seq of the last message (0 before the first): messages are numbered 1, 2, 3… per room. */
  lastSeq: number;
  memberCount: number;
  lastMessageId: string | null;
  /** When the last message was sent, or the room made: rooms are listed by it. */
  lastActivityAt: Date;
  createdAt: Date;
}

/** Someone in a room, with their read position and push state. */
export interface ChatMember {
  roomId: string;
  userId: string;
  joinedAt: Date;
  /** The seq of the last message they read: unread = room.lastSeq - lastReadSeq. */
  lastReadSeq: number;
  muted: boolean;
  /** When they were last pushed about this room (at most one push per interval). */
  lastPushedAt: Date | null;
}

export interface ChatMessage {
  id: string;
  roomId: string;
  seq: number;
  senderId: string;
  /** Null once deleted (or for attachments only). */
  body: string | null;
  clientMessageId: string;
  createdAt: Date;
  editedAt: Date | null;
  deletedAt: Date | null;
}

/** An upload on a message, in order; an upload is attached once (media_id unique). */
export interface ChatAttachment {
  messageId: string;
  mediaId: string;
  position: number;
}

/** chat's copy of who blocks whom, fed by social's block events: DIRECT rooms refuse a blocked pair. */
export interface ChatBlock {
  blockerId: string;
  blockedId: string;
  active: boolean;
  version: string;
}

/**
 * The last applied timetable event per (section, user): a retried event overtaken by a later one
 * (add, remove, add again) must not undo it.
 */
export interface ChatMembershipVersion {
  sectionId: string;
  userId: string;
  version: string;
}

const id = { type: 'varchar', length: 36 } as const;
const time = { type: 'datetime', precision: 3 } as const;

export const ChatRoomEntity = new EntitySchema<ChatRoom>({
  name: 'ChatRoom',
  tableName: 'chat_rooms',
  columns: {
    id: { ...id, primary: true },
    kind: { type: 'varchar', length: 8 },
    sectionId: { name: 'section_id', ...id, nullable: true },
    directKey: { name: 'direct_key', type: 'varchar', length: 73, nullable: true },
    lastSeq: { name: 'last_seq', type: 'int' },
    memberCount: { name: 'member_count', type: 'int' },
    lastMessageId: { name: 'last_message_id', ...id, nullable: true },
    lastActivityAt: { name: 'last_activity_at', ...time },
    createdAt: { name: 'created_at', ...time },
  },
});

export const ChatMemberEntity = new EntitySchema<ChatMember>({
  name: 'ChatMember',
  tableName: 'chat_members',
  columns: {
    roomId: { name: 'room_id', ...id, primary: true },
    userId: { name: 'user_id', ...id, primary: true },
    joinedAt: { name: 'joined_at', ...time },
    lastReadSeq: { name: 'last_read_seq', type: 'int' },
    muted: { type: 'boolean' },
    lastPushedAt: { name: 'last_pushed_at', ...time, nullable: true },
  },
});

export const ChatMessageEntity = new EntitySchema<ChatMessage>({
  name: 'ChatMessage',
  tableName: 'chat_messages',
  columns: {
    id: { ...id, primary: true },
    roomId: { name: 'room_id', ...id },
    seq: { type: 'int' },
    senderId: { name: 'sender_id', ...id },
    body: { type: 'text', nullable: true },
    clientMessageId: { name: 'client_message_id', type: 'varchar', length: 64 },
    createdAt: { name: 'created_at', ...time },
    editedAt: { name: 'edited_at', ...time, nullable: true },
    deletedAt: { name: 'deleted_at', ...time, nullable: true },
  },
});

export const ChatAttachmentEntity = new EntitySchema<ChatAttachment>({
  name: 'ChatAttachment',
  tableName: 'chat_message_attachments',
  columns: {
    messageId: { name: 'message_id', ...id, primary: true },
    mediaId: { name: 'media_id', ...id, primary: true },
    position: { type: 'int' },
  },
});

export const ChatBlockEntity = new EntitySchema<ChatBlock>({
  name: 'ChatBlock',
  tableName: 'chat_blocks',
  columns: {
    blockerId: { name: 'blocker_id', ...id, primary: true },
    blockedId: { name: 'blocked_id', ...id, primary: true },
    active: { type: 'boolean' },
    version: { type: 'bigint', transformer: bigintAsString },
  },
});

export const ChatMembershipVersionEntity = new EntitySchema<ChatMembershipVersion>({
  name: 'ChatMembershipVersion',
  tableName: 'chat_membership_versions',
  columns: {
    sectionId: { name: 'section_id', ...id, primary: true },
    userId: { name: 'user_id', ...id, primary: true },
    version: { type: 'bigint', transformer: bigintAsString },
  },
});

export const entities = [
  ChatRoomEntity,
  ChatMemberEntity,
  ChatMessageEntity,
  ChatAttachmentEntity,
  ChatBlockEntity,
  ChatMembershipVersionEntity,
  MediaRefEntity,
];
