import type { Messaging } from 'firebase-admin/messaging';
import type { Logger } from '@moim/kit';
import type { PushSender } from './push.port';

// TODO(helper B): firebase-admin messaging adapter.
export function createFcmPush(messaging: Messaging, logger: Logger): PushSender {
  void messaging;
  void logger;
  return {
    name: 'fcm',
    send: () => Promise.reject(new Error('not implemented')),
  };
}
