import type { Logger } from '@moim/kit';
import type { SmsSender } from './sms.port';

export interface LocalSms extends SmsSender {
  /** The last messages "sent", newest last: what a developer (or a test) reads the code from. */
  readonly sent: ReadonlyArray<{ to: string; text: string }>;
}

const KEPT = 100;

// For development and tests: nothing leaves the machine, the message is only logged and kept.
export function createLocalSms(logger: Logger): LocalSms {
  const sent: Array<{ to: string; text: string }> = [];
  return {
    sent,
    async send(to, text) {
      sent.push({ to, text });
      if (sent.length > KEPT) sent.shift();
      logger.info({ to, text }, 'sms (local adapter, not sent)');
    },
  };
}
