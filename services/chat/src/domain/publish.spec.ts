import { describe, expect, it } from 'vitest';
import { createLogger, type PubSub } from '@moim/kit';
import { createRoomPublisher } from './publish';

function recordingPubSub() {
  const published: Array<{ channel: string; message: unknown }> = [];
  const pubsub = {
    publish: async (channel: string, message: unknown) => {
      published.push({ channel, message });
    },
  } as unknown as PubSub;
  return { pubsub, published };
}

describe('the room publisher', () => {
  it('publishes sends in the order they took their places, whatever order their commits finish in', async () => {
    const { pubsub, published } = recordingPubSub();
    const publisher = createRoomPublisher(pubsub, createLogger('test', 'silent'));
    const first = publisher.reserve('r');
    const rolledBack = publisher.reserve('r');
    const third = publisher.reserve('r');
    const typing = publisher.publish('r', 'c', { data: 'typing' });
    const elsewhere = publisher.publish('other', 'c2', { data: 'elsewhere' });
    third.publish('c', { seq: 2, data: 'third' });
    rolledBack.cancel();
    await elsewhere;
    // Another room does not wait for this one.
    expect(published.map((p) => (p.message as { data: string }).data)).toEqual(['elsewhere']);
    first.publish('c', { seq: 1, data: 'first' });
    await typing;
    expect(published.map((p) => (p.message as { data: string }).data)).toEqual([
      'elsewhere',
      'first',
      'third',
      'typing',
    ]);
  });
});
