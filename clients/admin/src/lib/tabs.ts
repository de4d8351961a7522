type TabMessage = { type: 'who'; id: string; nonce: string } | { type: 'mine'; nonce: string };

/**
 * Open tabs of the console answer for their id over a BroadcastChannel (same origin only): a tab
 * asking whether its id is taken learns of a live original within `waitMs`. A tab that is asleep
 * (frozen in the background) does not answer; `window.name` covers that case in browsers that do
 * not copy it into a duplicate.
 */
export function tabRegistry(channelName = 'moim.admin.tabs', waitMs = 150) {
  let own: string | null = null;
  const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(channelName);
  channel?.addEventListener('message', (event: MessageEvent<TabMessage>) => {
    const message = event.data;
    if (message.type === 'who' && own !== null && message.id === own)
      channel.postMessage({ type: 'mine', nonce: message.nonce } satisfies TabMessage);
  });
  return {
    /** Answer for this id from now on. */
    hold(id: string) {
      own = id;
    },
    heldElsewhere(id: string): Promise<boolean> {
      if (!channel) return Promise.resolve(false);
      const nonce = randomId();
      return new Promise((resolve) => {
        const onMessage = (event: MessageEvent<TabMessage>) => {
          if (event.data.type === 'mine' && event.data.nonce === nonce) done(true);
        };
        const timer = setTimeout(() => done(false), waitMs);
        const done = (held: boolean) => {
          clearTimeout(timer);
          channel.removeEventListener('message', onMessage);
          resolve(held);
        };
        channel.addEventListener('message', onMessage);
        channel.postMessage({ type: 'who', id, nonce } satisfies TabMessage);
      });
    },
    close: () => channel?.close(),
  };
}

/** A random id; crypto.randomUUID exists only in secure contexts, and the console may be served over plain http. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
