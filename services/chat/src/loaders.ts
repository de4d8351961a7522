import DataLoader from 'dataloader';
import { In, LessThan, MoreThan, Between, type DataSource, type FindOptionsWhere } from 'typeorm';
import { keyedLoader, MAX_PAGE_SIZE, type Caller } from '@moim/kit';
import type { ChatDeps } from './domain/context';
import { attachmentsOf, readByCounts } from './domain/repr';
import {
  ChatMemberEntity,
  ChatMessageEntity,
  ChatRoomEntity,
  type ChatMember,
  type ChatMessage,
  type ChatRoom,
} from './entities';

/** Where a page of messages lies: between two seqs (exclusive), read forwards or backwards. */
export interface MessageWindow {
  afterSeq: number | null;
  beforeSeq: number | null;
  size: number;
  backward: boolean;
}

export interface ChatLoaders {
  room: DataLoader<string, ChatRoom | null>;
  roomOfSection: DataLoader<string, ChatRoom | null>;
  message: DataLoader<string, ChatMessage | null>;
  /** The caller's membership of each room (null: not a member, or nobody signed in). */
  membership: DataLoader<string, ChatMember | null>;
  /** Each message's readBy: members other than its sender who read up to it. */
  readBy: DataLoader<string, number>;
  /** Each message's attachment ids in order. */
  attachments: DataLoader<string, string[]>;
  /** One loader per window: the page of every room on a plan level comes from one statement. */
  messagePage(window: MessageWindow): DataLoader<string, ChatMessage[]>;
}

/** The seq bounds of a window as a find condition. */
function seqRange(window: MessageWindow) {
  const { afterSeq, beforeSeq } = window;
  if (afterSeq !== null && beforeSeq !== null) return Between(afterSeq + 1, beforeSeq - 1);
  if (afterSeq !== null) return MoreThan(afterSeq);
  if (beforeSeq !== null) return LessThan(beforeSeq);
  return undefined;
}

/**
 * Up to `size + 1` messages of each room in the window, in reading order (ascending forwards,
 * descending backwards). One room: one statement; several: one UNION ALL of index-bounded
 * branches for the ids, then the rows by id.
 */
async function fetchPages(
  ds: DataSource,
  roomIds: readonly string[],
  window: MessageWindow,
): Promise<Map<string, ChatMessage[]>> {
  const direction = window.backward ? 'DESC' : 'ASC';
  const pages = new Map<string, ChatMessage[]>(roomIds.map((id) => [id, []]));
  const range = seqRange(window);
  if (roomIds.length === 1) {
    const where: FindOptionsWhere<ChatMessage> = { roomId: roomIds[0]! };
    if (range) where.seq = range;
    pages.set(
      roomIds[0]!,
      await ds
        .getRepository(ChatMessageEntity)
        .find({ where, order: { seq: direction }, take: window.size + 1 }),
    );
    return pages;
  }
  const branches = roomIds.map((roomId, i) => {
    const qb = ds
      .createQueryBuilder()
      .select('m.id', 'id')
      .from('chat_messages', 'm')
      .where(`m.room_id = :room${i}`, { [`room${i}`]: roomId });
    if (window.afterSeq !== null) qb.andWhere(`m.seq > :after${i}`, { [`after${i}`]: window.afterSeq });
    if (window.beforeSeq !== null) qb.andWhere(`m.seq < :before${i}`, { [`before${i}`]: window.beforeSeq });
    return qb
      .orderBy('m.seq', direction)
      .limit(window.size + 1)
      .getQueryAndParameters();
  });
  const sql = branches.map(([query], i) => `SELECT * FROM (${query}) b${i}`).join(' UNION ALL ');
  const ids: Array<{ id: string }> = await ds.query(
    sql,
    branches.flatMap(([, params]) => params),
  );
  if (!ids.length) return pages;
  const rows = await ds.getRepository(ChatMessageEntity).findBy({ id: In(ids.map((r) => r.id)) });
  rows.sort((a, b) => (window.backward ? b.seq - a.seq : a.seq - b.seq));
  for (const row of rows) pages.get(row.roomId)?.push(row);
  return pages;
}

/** Built per request: one query per loader per plan level. */
export function createLoaders(deps: ChatDeps, caller: Caller): ChatLoaders {
  const ds = deps.db.dataSource;
  const message = keyedLoader<string, ChatMessage>(
    (ids) => ds.getRepository(ChatMessageEntity).findBy({ id: In([...ids]) }),
    (m) => m.id,
  );
  const pageLoaders = new Map<string, DataLoader<string, ChatMessage[]>>();
  return {
    room: keyedLoader(
      (ids) => ds.getRepository(ChatRoomEntity).findBy({ id: In([...ids]) }),
      (r) => r.id,
    ),
    roomOfSection: keyedLoader(
      (ids) => ds.getRepository(ChatRoomEntity).findBy({ sectionId: In([...ids]) }),
      (r) => r.sectionId!,
    ),
    message,
    membership: keyedLoader(
      async (roomIds) =>
        caller.userId
          ? ds.getRepository(ChatMemberEntity).findBy({ roomId: In([...roomIds]), userId: caller.userId })
          : [],
      (m) => m.roomId,
    ),
    readBy: new DataLoader(async (messageIds: readonly string[]) => {
      const counts = await readByCounts(ds.manager, messageIds);
      return messageIds.map((id) => counts.get(id) ?? 0);
    }),
    attachments: new DataLoader(async (messageIds) => {
      const byMessage = await attachmentsOf(ds.manager, messageIds);
      return messageIds.map((id) => byMessage.get(id) ?? []);
    }),
    messagePage(window) {
      const key = `${window.afterSeq}:${window.beforeSeq}:${window.size}:${window.backward}`;
      let loader = pageLoaders.get(key);
      if (!loader) {
        loader = new DataLoader(
          async (roomIds) => {
            const pages = await fetchPages(ds, roomIds, window);
            for (const page of pages.values()) for (const m of page) message.prime(m.id, m);
            return roomIds.map((id) => pages.get(id) ?? []);
          },
          // One statement per hundred rooms keeps each one small.
          { maxBatchSize: MAX_PAGE_SIZE },
        );
        pageLoaders.set(key, loader);
      }
      return loader;
    },
  };
}
