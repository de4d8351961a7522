import { liveChannel, publishLive, type LiveEvent, type Logger, type PubSub } from '@moim/kit';

/** The live channel of a room's events (`roomEvents`). */
export const roomChannel = (roomId: string): string => liveChannel('chat', `room:${roomId}`);
/** The live channel of one user's chat activity (`myChatEvents`). */
export const userChannel = (userId: string): string => liveChannel('chat', `user:${userId}`);

/** A place in a room's publishing order, taken before the event is known (see `reserve`). */
export interface PublishSlot {
  /** Publishes the event in the slot's place (once; later calls are ignored). */
  publish(channel: string, event: LiveEvent): void;
  /** Gives the place up: nothing is published, the events after it go on. */
  cancel(): void;
}

export interface RoomPublisher {
  /**
   * Publishes `event` on `channel` after everything this process published or reserved before for
   * `room`. Never rejects (fire and forget: a lost live event is caught up by `roomEvents(after:)`
   * or `messages(after:)`).
   */
  publish(room: string, channel: string, event: LiveEvent): Promise<void>;
  /**
   * Takes the next place in `room`'s order now — a send takes it holding the room's lock, where its
   * seq is decided — and publishes there once the commit is done: so sends that commit one after
   * the other go out in seq order, however their commits' continuations interleave.
   */
  reserve(room: string): PublishSlot;
}

export function createRoomPublisher(pubsub: PubSub, logger: Logger): RoomPublisher {
  const chains = new Map<string, Promise<void>>();
  const append = (room: string, event: Promise<{ channel: string; event: LiveEvent } | null>) => {
    const previous = chains.get(room) ?? Promise.resolve();
    const next = previous
      .then(() => event)
      .then(async (e) => {
        if (e) await publishLive(pubsub, e.channel, e.event);
      })
      .catch((err: unknown) => logger.warn({ err, room }, 'live event not published'));
    chains.set(room, next);
    // The chain forgets a room once its last publish is done.
    void next.then(() => {
      if (chains.get(room) === next) chains.delete(room);
    });
    return next;
  };
  return {
    publish: (room, channel, event) => append(room, Promise.resolve({ channel, event })),
    reserve(room) {
      let settle!: (value: { channel: string; event: LiveEvent } | null) => void;
      void append(room, new Promise((resolve) => (settle = resolve)));
      return {
        publish: (channel, event) => settle({ channel, event }),
        cancel: () => settle(null),
      };
    },
  };
}
