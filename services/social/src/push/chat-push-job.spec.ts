import { describe, expect, it } from 'vitest';
import { CHAT_PUSH_JOB } from '@moim/events';
import { CHAT_PUSH, chatPushMessage } from './chat-push-job';
import { PUSH_QUEUE } from './push-job';

describe('chat push messages', () => {
  it("titles the push with the sender's nickname and says the start of the message", () => {
    expect(chatPushMessage({ roomId: 'r-1', messageId: 'm-1', preview: 'See you at 6?' }, 'mina')).toEqual({
      title: 'mina',
      body: 'See you at 6?',
      data: { kind: 'CHAT', roomId: 'r-1', messageId: 'm-1' },
    });
  });

  it('says an attachment was sent when the message has no text', () => {
    expect(chatPushMessage({ roomId: 'r-1', messageId: 'm-2', preview: null }, 'jun').body).toBe(
      'sent an attachment',
    );
  });

  it("is the job chat records on social's push queue", () => {
    expect(CHAT_PUSH.queue).toBe(PUSH_QUEUE);
    expect([CHAT_PUSH.queue.name, CHAT_PUSH.name]).toEqual([CHAT_PUSH_JOB.queue, CHAT_PUSH_JOB.name]);
  });
});
