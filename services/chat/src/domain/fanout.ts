import { In, IsNull, LessThan } from 'typeorm';
import { dialectOf, processor, publishLive, recordJob, type JobProcessor } from '@moim/kit';
import { ChatMemberEntity, ChatMessageEntity, ChatRoomEntity, type ChatMember } from '../entities';
import type { ChatDeps } from './context';
import { CHAT_PUSH, FANOUT_MESSAGE, REVOKE_MEMBER } from './jobs';
import { userChannel } from './publish';
import { attachmentsOf, messageRepr, readByOf } from './repr';
import { revokeMember } from './rooms';

/** Channels asked about at once (Redis PUBSUB NUMSUB takes them in one command). */
export const LISTENING_CHUNK = 1000;
/** Recipients per push job. */
export const PUSH_CHUNK = 500;
/** How much of a body a push shows. */
export const PREVIEW_LENGTH = 100;

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * A message's fan-out, after its commit: every member listening on their own channel (any device,
 * the sender's other ones included) hears `ChatActivity` with the message and their unread count;
 * members not listening, not the sender, not muted and not pushed about this room within the
 * interval get a push through social (one job per PUSH_CHUNK recipients). Run again, it pushes
 * nobody twice: who was pushed is written with the jobs, and the job ids are the message's.
 */
export async function fanOut(deps: ChatDeps, messageId: string): Promise<{ live: number; pushed: number }> {
  // Background reads: left out of the request statement counts, like every job's.
  const loaded = await deps.db.transaction(
    async (manager) => {
      const message = await manager.findOneBy(ChatMessageEntity, { id: messageId });
      if (!message) return null;
      const room = await manager.findOneByOrFail(ChatRoomEntity, { id: message.roomId });
      const members = await manager.findBy(ChatMemberEntity, { roomId: message.roomId });
      const attachments = await attachmentsOf(manager, [message.id]);
      return { message, room, members, attachments };
    },
    { background: true },
  );
  if (!loaded) return { live: 0, pushed: 0 };
  const { message, room, members, attachments } = loaded;
  const repr = messageRepr(message, attachments.get(message.id) ?? [], readByOf(members, message));

  const listening: boolean[] = [];
  for (const chunk of chunks(members, LISTENING_CHUNK))
    listening.push(...(await deps.pubsub.listening(chunk.map((m) => userChannel(m.userId)))));
  await Promise.all(
    members
      .filter((_, i) => listening[i])
      .map((m) =>
        publishLive(deps.pubsub, userChannel(m.userId), {
          data: {
            __typename: 'ChatActivity',
            roomId: room.id,
            unreadCount: Math.max(0, room.lastSeq - m.lastReadSeq),
            message: repr,
          },
        }).catch((err: unknown) =>
          deps.logger.warn({ err, userId: m.userId }, 'chat activity not published'),
        ),
      ),
  );

  if (message.deletedAt) return { live: listening.filter(Boolean).length, pushed: 0 };
  const cutoff = new Date(Date.now() - deps.config.CHAT_PUSH_INTERVAL_SECONDS * 1000);
  const due = (m: ChatMember) =>
    m.userId !== message.senderId &&
    !m.muted &&
    m.lastReadSeq < message.seq &&
    (m.lastPushedAt === null || m.lastPushedAt < cutoff);
  const candidates = members.filter((m, i) => !listening[i] && due(m)).map((m) => m.userId);
  if (!candidates.length) return { live: listening.filter(Boolean).length, pushed: 0 };

  const pushed = await deps.db.transaction(
    async (manager) => {
      // Read again, locked: a fan-out of the room's next message running at once pushes no one twice.
      const where = [
        { roomId: room.id, userId: In(candidates), lastPushedAt: IsNull() },
        { roomId: room.id, userId: In(candidates), lastPushedAt: LessThan(cutoff) },
      ];
      const rows =
        dialectOf(manager) === 'sqlite'
          ? await manager.findBy(ChatMemberEntity, where)
          : await manager.find(ChatMemberEntity, { where, lock: { mode: 'pessimistic_write' } });
      const recipients = rows
        .filter(due)
        .map((m) => m.userId)
        .sort();
      if (!recipients.length) return 0;
      const now = new Date();
      for (const chunk of chunks(recipients, PUSH_CHUNK)) {
        await manager.update(ChatMemberEntity, { roomId: room.id, userId: In(chunk) }, { lastPushedAt: now });
      }
      const preview = message.body ? message.body.slice(0, PREVIEW_LENGTH) : null;
      let index = 0;
      for (const chunk of chunks(recipients, PUSH_CHUNK))
        await recordJob(
          manager,
          CHAT_PUSH,
          {
            roomId: room.id,
            messageId: message.id,
            senderId: message.senderId,
            recipientIds: chunk,
            preview,
          },
          { id: `chat-push-${message.id}-${index++}` },
        );
      return recipients.length;
    },
    { isolation: 'READ COMMITTED', background: true },
  );
  return { live: listening.filter(Boolean).length, pushed };
}

export const chatProcessors = (deps: ChatDeps): JobProcessor[] => [
  processor(FANOUT_MESSAGE, async ({ messageId }) => {
    await fanOut(deps, messageId);
  }),
  processor(REVOKE_MEMBER, ({ roomId, userId }) => revokeMember(deps, roomId, userId)),
];
