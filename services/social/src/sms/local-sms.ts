import type { Logger } from '@moim/kit';
import type { SmsSender } from './sms.port';

// For development and tests: nothing leaves the machine, the message is only logged.
export function createLocalSms(logger: Logger): SmsSender {
  return {
    async send(to, text) {
      logger.info({ to, text }, 'sms (local adapter, not sent)');
    },
  };
}
