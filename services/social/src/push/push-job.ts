import { In } from 'typeorm';
import {
  backoffDelay,
  defineJob,
  defineQueue,
  processor,
  recordJob,
  type JobProcessor,
  type JobType,
  type Logger,
  type RunningJob,
} from '@moim/kit';
import {
  DeviceEntity,
  NotificationEntity,
  NotificationMuteEntity,
  TargetEntity,
  UserEntity,
  type Notification,
  type TargetKind,
} from '../entities';
import { isBlocking } from '../domain/blocks';
import type { SocialDeps } from '../domain/context';
import type { PushMessage, PushOutcome } from './push.port';

export const PUSH_QUEUE = defineQueue('push', { concurrency: 4 });

export interface SendPushPayload extends PushFollowUp {
  notificationId: string;
}

/** Pushes one notification to its recipient's devices. */
export const SEND_PUSH = defineJob<SendPushPayload>(PUSH_QUEUE, 'send', {
  attempts: 6,
  backoff: { delayMs: 2000, maxDelayMs: 300_000 },
});

/** What the push says: "A and 3 others liked your review". */
export function pushMessage(
  n: Pick<Notification, 'id' | 'kind' | 'actorCount' | 'targetId'>,
  actorNickname: string,
  targetKind: TargetKind | null,
): PushMessage {
  const others = n.actorCount - 1;
  const who =
    others > 0 ? `${actorNickname} and ${others} ${others === 1 ? 'other' : 'others'}` : actorNickname;
  const thing = targetKind === 'POST' ? 'post' : 'review';
  const texts: Record<Notification['kind'], [string, string]> = {
    LIKE: ['New like', `${who} liked your ${thing}`],
    COMMENT: ['New comment', `${who} commented on your ${thing}`],
    REPLY: ['New reply', `${who} replied to your comment`],
    FOLLOW: ['New follower', `${who} started following you`],
  };
  const [title, body] = texts[n.kind];
  return {
    title,
    body,
    data: { notificationId: n.id, kind: n.kind, ...(n.targetId ? { targetId: n.targetId } : {}) },
  };
}

type ToSend = { n: Notification; message: PushMessage } | { skip: string };

/**
 * The push, as the notification is when the job runs: nothing (and why) when it is gone, when
 * the recipient has since muted its kind or blocked its actor, or when its target is no longer
 * visible (a hidden review's notifications stop).
 */
async function whatToSend(deps: SocialDeps, notificationId: string): Promise<ToSend> {
  const manager = deps.db.dataSource.manager;
  const n = await manager.findOneBy(NotificationEntity, { id: notificationId });
  if (!n) return { skip: 'notification gone' };
  if (await manager.existsBy(NotificationMuteEntity, { userId: n.recipientId, kind: n.kind }))
    return { skip: 'kind muted' };
  let targetKind: TargetKind | null = null;
  if (n.targetId) {
    const target = await manager.findOneBy(TargetEntity, { id: n.targetId });
    if (target?.state !== 'VISIBLE') return { skip: 'target not visible' };
    targetKind = target.kind;
  }
  if (await isBlocking(manager, n.recipientId, n.actorId)) return { skip: 'actor blocked' };
  const actor = await manager.findOneBy(UserEntity, { id: n.actorId });
  if (!actor) return { skip: 'actor gone' };
  return { n, message: pushMessage(n, actor.nickname, targetKind) };
}

/** A push job's follow-up fields: a follow-up takes only `tokens`, and is follow-up number `attempt`. */
export interface PushFollowUp {
  /** A follow-up: only these tokens (those that needed a retry last time). */
  tokens?: string[];
  /** A follow-up's number: 1 for the first. */
  attempt?: number;
}

/**
 * The rule of every push job with follow-ups: after `type.attempts` follow-ups the last one fails
 * instead of recording another, and the queue's reruns of that one do not send again (the reached
 * devices must not be pushed twice); an admin's retry, which starts it afresh, does send.
 */
export function refuseRerunAfterGivingUp(
  type: JobType<PushFollowUp>,
  payload: PushFollowUp,
  job: RunningJob,
): void {
  if ((payload.attempt ?? 0) >= type.attempts && job.attemptsMade > 0)
    throw new Error(
      `gave up after ${payload.attempt} follow-ups: ${payload.tokens?.length ?? 0} devices kept failing`,
    );
}

/**
 * Sends `message` to `tokens` and acts on each token's outcome: invalid ones are deleted; when
 * every token needs a retry the run fails and the queue retries it with the job type's backoff;
 * when only some do, a follow-up job (`followUp(retry, next)`, with the id `followUpId(next)`)
 * takes just those, so the devices already reached are not pushed twice. The last follow-up
 * allowed fails instead (see refuseRerunAfterGivingUp).
 */
export async function pushToTokens<P extends PushFollowUp>(
  deps: SocialDeps,
  log: Logger,
  job: {
    type: JobType<P>;
    attempt: number;
    followUp: (tokens: string[], attempt: number) => P;
    followUpId: (attempt: number) => string;
  },
  tokens: string[],
  message: PushMessage,
): Promise<void> {
  const outcomes = await deps.push.send(tokens, message);
  const tokensWith = (outcome: PushOutcome) => tokens.filter((_, i) => (outcomes[i] ?? 'retry') === outcome);
  const invalid = tokensWith('invalid');
  const retry = tokensWith('retry');
  log.info(
    { devices: tokens.length, sent: tokensWith('sent').length, invalid: invalid.length, retry: retry.length },
    'push sent',
  );
  // Nobody reached: the queue runs this job again after its backoff.
  if (retry.length === tokens.length)
    throw new Error(`push failed for every device (${tokens.length}), all transient`);
  const gaveUp = job.attempt >= job.type.attempts;
  const followUp = retry.length > 0 && !gaveUp;
  const next = job.attempt + 1;
  // The devices have the push now: a failure from here on must not fail the job, or its rerun
  // would push them again. At worst a dead token stays for the next push to find.
  if (invalid.length || followUp)
    try {
      await deps.db.transaction(async (manager) => {
        if (invalid.length) await manager.delete(DeviceEntity, { token: In(invalid) });
        if (followUp)
          await recordJob(manager, job.type, job.followUp(retry, next), {
            id: job.followUpId(next),
            delayMs: backoffDelay(job.type.backoff, next),
          });
      });
    } catch (err) {
      log.error(
        { err, invalid: invalid.length, retry: retry.length },
        'push sent, but its follow-up was not recorded',
      );
    }
  if (retry.length && gaveUp)
    throw new Error(
      `gave up after ${job.attempt} follow-ups: ${retry.length} of ${tokens.length} devices kept failing`,
    );
}

/**
 * Sends a notification to the recipient's devices (a follow-up: to the tokens it names that are
 * still theirs), with pushToTokens's per-token handling and SEND_PUSH's follow-ups.
 */
async function sendPush(deps: SocialDeps, payload: SendPushPayload, job: RunningJob): Promise<void> {
  const attempt = payload.attempt ?? 0;
  const log = deps.logger.child({ notificationId: payload.notificationId, attempt, jobId: job.id });
  refuseRerunAfterGivingUp(SEND_PUSH, payload, job);

  const found = await whatToSend(deps, payload.notificationId);
  if (!('n' in found)) {
    log.info({ reason: found.skip }, 'push skipped');
    return;
  }
  const { n, message } = found;
  const tokens = (
    await deps.db.dataSource.getRepository(DeviceEntity).find({
      select: { token: true },
      where: { userId: n.recipientId, ...(payload.tokens ? { token: In(payload.tokens) } : {}) },
      order: { token: 'ASC' },
    })
  ).map((d) => d.token);
  if (!tokens.length) {
    log.debug('push skipped: no devices');
    return;
  }
  await pushToTokens(
    deps,
    log,
    {
      type: SEND_PUSH,
      attempt,
      followUp: (retry, next) => ({ notificationId: n.id, tokens: retry, attempt: next }),
      followUpId: (next) => `push-${n.id}-${next}`,
    },
    tokens,
    message,
  );
}

export function pushProcessors(deps: SocialDeps): JobProcessor[] {
  return [processor(SEND_PUSH, (payload, job) => sendPush(deps, payload, job))];
}
