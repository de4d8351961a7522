import type { Logger } from '@moim/kit';
import type { PushMessage, PushOutcome, PushSender } from './push.port';

export interface LocalPush extends PushSender {
  /** What was sent, for tests and the curious. */
  readonly sent: Array<{ tokens: string[]; message: PushMessage }>;
}

/** Logs pushes instead of sending them (no Firebase credentials): every token counts as sent. */
export function createLocalPush(logger: Logger): LocalPush {
  const sent: LocalPush['sent'] = [];
  return {
    name: 'local',
    sent,
    async send(tokens, message): Promise<PushOutcome[]> {
      sent.push({ tokens, message });
      logger.info(
        { devices: tokens.length, title: message.title, body: message.body },
        'push (local: not sent)',
      );
      return tokens.map(() => 'sent');
    },
  };
}
