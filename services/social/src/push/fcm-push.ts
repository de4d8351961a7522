import type { BatchResponse, Messaging, MulticastMessage, SendResponse } from 'firebase-admin/messaging';
import type { Logger } from '@moim/kit';
import type { PushMessage, PushOutcome, PushSender } from './push.port';

/** FCM takes at most this many tokens per multicast. */
export const FCM_MAX_TOKENS = 500;

/** The token is gone for good (unregistered, malformed, another sender's): delete it, never retry. */
const INVALID_TOKEN = new Set([
  'messaging/registration-token-not-registered',
  'messaging/invalid-registration-token',
  'messaging/invalid-argument',
  'messaging/mismatched-credential',
]);

// Everything else is worth another try later: internal-error, server-unavailable, unavailable,
// message-rate-exceeded, device-message-rate-exceeded, quota-exceeded, and any code not known
// here (retrying an unknown failure costs a little; deleting a good token costs the device).

const codeOf = (response: SendResponse): string | undefined =>
  (response.error as { code?: unknown } | undefined)?.code as string | undefined;

function outcomeOf(response: SendResponse): PushOutcome {
  if (response.success) return 'sent';
  return INVALID_TOKEN.has(codeOf(response) ?? '') ? 'invalid' : 'retry';
}

/**
 * The push port on firebase-admin's Cloud Messaging: one multicast per 500 tokens, each answer
 * mapped back to its token. A call that fails as a whole (network, credentials) rejects, so the
 * job is retried; nothing is deleted then.
 */
export function createFcmPush(
  messaging: Pick<Messaging, 'sendEachForMulticast'>,
  logger: Logger,
): PushSender {
  return {
    name: 'fcm',
    async send(tokens: string[], message: PushMessage): Promise<PushOutcome[]> {
      const outcomes: PushOutcome[] = [];
      for (let start = 0; start < tokens.length; start += FCM_MAX_TOKENS) {
        const chunk = tokens.slice(start, start + FCM_MAX_TOKENS);
        const request: MulticastMessage = {
          tokens: chunk,
          notification: { title: message.title, body: message.body },
          data: message.data,
        };
        const batch: BatchResponse = await messaging.sendEachForMulticast(request);
        if (batch.responses.length !== chunk.length)
          throw new Error(`FCM answered ${batch.responses.length} results for ${chunk.length} tokens`);
        // INVALID_ARGUMENT for every token of a batch is about the message, not the tokens: keep them.
        if (chunk.length > 1 && batch.responses.every((r) => codeOf(r) === 'messaging/invalid-argument'))
          throw new Error(`FCM refused the message for all ${chunk.length} tokens as invalid`);
        const mapped = batch.responses.map(outcomeOf);
        outcomes.push(...mapped);
        const failures = batch.responses.filter((r) => !r.success);
        if (failures.length)
          logger.debug(
            { codes: [...new Set(failures.map((r) => codeOf(r) ?? 'unknown'))], failed: failures.length },
            'fcm: some tokens failed',
          );
      }
      return outcomes;
    },
  };
}
