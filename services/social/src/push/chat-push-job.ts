import { createHash } from 'node:crypto';
import { In } from 'typeorm';
import { defineJob, processor, type JobProcessor, type RunningJob } from '@moim/kit';
import { CHAT_PUSH_JOB, type ChatPushPayload } from '@moim/events';
import { DeviceEntity, UserEntity } from '../entities';
import { withoutBlocked } from '../domain/blocks';
import type { SocialDeps } from '../domain/context';
import type { PushMessage } from './push.port';
import { PUSH_QUEUE, pushToTokens, refuseRerunAfterGivingUp, type PushFollowUp } from './push-job';

/** Chat's payload; a follow-up (recorded here) adds the tokens to retry and its number. */
export type ChatPushJobPayload = ChatPushPayload & PushFollowUp;

/** Pushes a chat message to its recipients' devices: recorded by chat on social's `push` queue. */
export const CHAT_PUSH = defineJob<ChatPushJobPayload>(PUSH_QUEUE, CHAT_PUSH_JOB.name, {
  attempts: 6,
  backoff: { delayMs: 2000, maxDelayMs: 300_000 },
});

/** What a chat push says: who wrote, and the start of what they wrote. */
export function chatPushMessage(
  payload: Pick<ChatPushPayload, 'roomId' | 'messageId' | 'preview'>,
  senderNickname: string,
): PushMessage {
  return {
    title: senderNickname,
    body: payload.preview ?? 'sent an attachment',
    data: { kind: 'CHAT', roomId: payload.roomId, messageId: payload.messageId },
  };
}

/** The recipients who are social's users and neither block the sender nor are blocked by them. */
async function reachable(deps: SocialDeps, senderId: string, recipientIds: string[]): Promise<string[]> {
  const ids = [...new Set(recipientIds)].filter((id) => id !== senderId);
  if (!ids.length) return [];
  const qb = deps.db.dataSource
    .getRepository(UserEntity)
    .createQueryBuilder('u')
    .select('u.id', 'id')
    .where('u.id IN (:...ids)', { ids })
    .andWhere(
      'NOT EXISTS (SELECT 1 FROM blocks rb WHERE rb.blocker_id = u.id AND rb.blocked_id = :senderId)',
      { senderId },
    );
  const rows = await withoutBlocked(qb, 'u.id', senderId).getRawMany<{ id: string }>();
  return rows.map((r) => r.id);
}

/**
 * Sends a chat message to the devices of its recipients, as they are when the job runs: unknown
 * users, and those who blocked the sender or whom the sender blocked, are left out; nothing is
 * sent once the sender is gone. Per token as SEND_PUSH (pushToTokens): follow-ups take the tokens
 * to retry, still limited to the devices of recipients who remain.
 */
async function sendChatPush(deps: SocialDeps, payload: ChatPushJobPayload, job: RunningJob): Promise<void> {
  const attempt = payload.attempt ?? 0;
  const log = deps.logger.child({
    messageId: payload.messageId,
    roomId: payload.roomId,
    attempt,
    jobId: job.id,
  });
  refuseRerunAfterGivingUp(CHAT_PUSH, payload, job);

  const manager = deps.db.dataSource.manager;
  const sender = await manager.findOne(UserEntity, {
    select: { nickname: true },
    where: { id: payload.senderId },
  });
  if (!sender) {
    log.info({ reason: 'sender gone', senderId: payload.senderId }, 'chat push skipped');
    return;
  }
  const recipients = await reachable(deps, payload.senderId, payload.recipientIds);
  const tokens = recipients.length
    ? (
        await manager.find(DeviceEntity, {
          select: { token: true },
          where: { userId: In(recipients), ...(payload.tokens ? { token: In(payload.tokens) } : {}) },
          order: { token: 'ASC' },
        })
      ).map((d) => d.token)
    : [];
  if (!tokens.length) {
    log.debug(
      { recipients: recipients.length, asked: payload.recipientIds.length },
      'chat push skipped: no devices',
    );
    return;
  }
  // Chat may split a message's recipients over several jobs: each one's follow-ups are its own.
  const group = createHash('sha256')
    .update([...payload.recipientIds].sort().join(','))
    .digest('hex')
    .slice(0, 16);
  await pushToTokens(
    deps,
    log,
    {
      type: CHAT_PUSH,
      attempt,
      followUp: (retry, next) => ({ ...payload, tokens: retry, attempt: next }),
      followUpId: (next) => `chat-push-${payload.messageId}-${group}-${next}`,
    },
    tokens,
    chatPushMessage(payload, sender.nickname),
  );
}

export function chatPushProcessor(deps: SocialDeps): JobProcessor {
  return processor(CHAT_PUSH, (payload, job) => sendChatPush(deps, payload, job));
}
