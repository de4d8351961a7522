import { CHAT_PUSH_JOB, type ChatPushPayload } from '@moim/events';
import { defineJob, defineQueue } from '@moim/kit';

/** chat's own queue: a message's fan-out to its members, and the end of a former member's subscriptions. */
export const FANOUT_QUEUE = defineQueue('chat-fanout', { concurrency: 4 });

/** After a message commits: its members hear of it on their own channels, the offline ones get a push. */
export const FANOUT_MESSAGE = defineJob<{ messageId: string }>(FANOUT_QUEUE, 'message', { attempts: 5 });

/** After a member left a room (the commit): their subscriptions to it end. */
export const REVOKE_MEMBER = defineJob<{ roomId: string; userId: string }>(FANOUT_QUEUE, 'revoke-member', {
  attempts: 5,
});

/** social's job that pushes a chat message to devices (social owns devices, blocks and nicknames). */
export const CHAT_PUSH = defineJob<ChatPushPayload>(defineQueue(CHAT_PUSH_JOB.queue), CHAT_PUSH_JOB.name, {
  attempts: 3,
});
