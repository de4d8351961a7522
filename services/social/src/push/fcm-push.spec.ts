import { describe, expect, it } from 'vitest';
import {
  FirebaseMessagingError,
  type BatchResponse,
  type Messaging,
  type MulticastMessage,
  type SendResponse,
} from 'firebase-admin/messaging';
import { captureLogs } from '@moim/kit/testing';
import { createFcmPush, FCM_MAX_TOKENS } from './fcm-push';
import type { PushMessage } from './push.port';

/**
 * The error firebase-admin puts in a SendResponse for a failed message: built the way the SDK
 * builds it from FCM's answer (`fromServerError` is internal, so not in its typings).
 */
const fcmError = (serverCode: string, message?: string) =>
  (
    FirebaseMessagingError as unknown as {
      fromServerError(code: string, message?: string): FirebaseMessagingError;
    }
  ).fromServerError(serverCode, message);

const sent = (i: number): SendResponse => ({ success: true, messageId: `projects/p/messages/${i}` });
const failed = (error: unknown): SendResponse => ({ success: false, error: error as SendResponse['error'] });

/** A stand-in for firebase-admin's Messaging at its boundary: records requests, answers per token. */
function fakeMessaging(answer: (token: string, i: number) => SendResponse) {
  const requests: MulticastMessage[] = [];
  const messaging: Pick<Messaging, 'sendEachForMulticast'> = {
    async sendEachForMulticast(message) {
      requests.push(structuredClone(message));
      const responses = message.tokens.map(answer);
      const successCount = responses.filter((r) => r.success).length;
      return {
        responses,
        successCount,
        failureCount: responses.length - successCount,
      } satisfies BatchResponse;
    },
  };
  return { messaging, requests };
}

const message: PushMessage = {
  title: 'New like',
  body: 'mina and 3 others liked your review',
  data: { notificationId: 'n-1', kind: 'LIKE', targetId: 't-1' },
};

describe('the FCM push adapter', () => {
  it('sends one multicast with the notification and data, and maps an unregistered token to invalid', async () => {
    const { messaging, requests } = fakeMessaging((token, i) =>
      token === 'gone' ? failed(fcmError('UNREGISTERED', 'Requested entity was not found.')) : sent(i),
    );
    const { logger } = captureLogs();
    const push = createFcmPush(messaging, logger);
    expect(push.name).toBe('fcm');
    const outcomes = await push.send(['phone', 'gone', 'tablet'], message);
    expect(outcomes).toEqual(['sent', 'invalid', 'sent']);
    expect(requests).toEqual([
      {
        tokens: ['phone', 'gone', 'tablet'],
        notification: { title: 'New like', body: 'mina and 3 others liked your review' },
        data: { notificationId: 'n-1', kind: 'LIKE', targetId: 't-1' },
      },
    ]);
    // The real error class, with the code the adapter reads.
    expect(fcmError('UNREGISTERED').code).toBe('messaging/registration-token-not-registered');
  });

  it('maps every permanent failure to invalid and transient or unknown ones to retry', async () => {
    const answers: Record<string, SendResponse> = {
      unregistered: failed(fcmError('UNREGISTERED')),
      notFound: failed(fcmError('NOT_FOUND')),
      malformed: failed(fcmError('InvalidRegistration')),
      badArgument: failed(
        fcmError('INVALID_ARGUMENT', 'The registration token is not a valid FCM registration token'),
      ),
      otherSender: failed(fcmError('SENDER_ID_MISMATCH')),
      internal: failed(fcmError('INTERNAL')),
      unavailable: failed(fcmError('UNAVAILABLE')),
      rate: failed(fcmError('QUOTA_EXCEEDED')),
      deviceRate: failed(fcmError('DeviceMessageRateExceeded')),
      unknown: failed(fcmError('SOMETHING_NEW')),
      plainError: failed(Object.assign(new Error('socket hang up'), { code: 'app/network-error' })),
      ok: sent(0),
    };
    const { messaging } = fakeMessaging((token) => answers[token]!);
    const push = createFcmPush(messaging, captureLogs().logger);
    const tokens = Object.keys(answers);
    const outcomes = Object.fromEntries((await push.send(tokens, message)).map((o, i) => [tokens[i], o]));
    expect(outcomes).toEqual({
      unregistered: 'invalid',
      notFound: 'invalid',
      malformed: 'invalid',
      badArgument: 'invalid',
      otherSender: 'invalid',
      internal: 'retry',
      unavailable: 'retry',
      rate: 'retry',
      deviceRate: 'retry',
      unknown: 'retry',
      plainError: 'retry',
      ok: 'sent',
    });
    expect(fcmError('UNAVAILABLE').code).toBe('messaging/server-unavailable');
    expect(fcmError('QUOTA_EXCEEDED').code).toBe('messaging/message-rate-exceeded');
  });

  it('sends at most 500 tokens per call and keeps the outcomes in token order', async () => {
    const tokens = Array.from({ length: FCM_MAX_TOKENS * 2 + 1 }, (_, i) => `token-${i}`);
    const { messaging, requests } = fakeMessaging((token, i) =>
      token === 'token-700' ? failed(fcmError('UNREGISTERED')) : sent(i),
    );
    const outcomes = await createFcmPush(messaging, captureLogs().logger).send(tokens, message);
    expect(requests.map((r) => r.tokens.length)).toEqual([500, 500, 1]);
    expect(requests.flatMap((r) => r.tokens)).toEqual(tokens);
    expect(outcomes).toHaveLength(tokens.length);
    expect(outcomes.filter((o) => o === 'invalid')).toEqual(['invalid']);
    expect(outcomes[700]).toBe('invalid');
  });

  it('rethrows a call that fails as a whole, so the job is retried and nothing is deleted', async () => {
    const messaging: Pick<Messaging, 'sendEachForMulticast'> = {
      sendEachForMulticast: () =>
        Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'app/network-error' })),
    };
    await expect(createFcmPush(messaging, captureLogs().logger).send(['a'], message)).rejects.toThrow(
      'ECONNREFUSED',
    );
  });

  it('keeps the tokens when FCM refuses the message itself for every token of a batch', async () => {
    const { messaging } = fakeMessaging(() => failed(fcmError('INVALID_ARGUMENT', 'Invalid data payload')));
    await expect(createFcmPush(messaging, captureLogs().logger).send(['a', 'b'], message)).rejects.toThrow(
      /refused the message/,
    );
  });
});
