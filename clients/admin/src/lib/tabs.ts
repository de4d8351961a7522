type TabMessage = { type: 'who'; id: string; nonce: string } | { type: 'mine'; nonce: string };

/** The part of the Web Locks API a tab needs (secure contexts only: https and http://localhost). */
export interface TabLocks {
  request(
    name: string,
    options: { ifAvailable: true },
    callback: (lock: unknown) => Promise<void> | void,
  ): Promise<unknown>;
  request(name: string, callback: (lock: unknown) => Promise<void>): Promise<unknown>;
}

export interface TabRegistry {
  /** Takes `id` for this tab's life; false when another open tab has it (then this tab must not use it). */
  claim(id: string): Promise<boolean>;
  /** Holds a fresh id, which no other tab can have. */
  hold(id: string): void;
  close(): void;
}

const LOCK_PREFIX = 'moim-admin-tab:';
const forever = () => new Promise<void>(() => undefined);

/**
 * Which console tab holds which id. With Web Locks a tab holds a lock named after its id for as
 * long as it lives: taking it is atomic, and a copy of a live tab never gets it. A reload can run
 * before the browser has released the lock of the page it replaces, so a refused claim is tried
 * again a few times (a duplicate is refused every time: its original still holds the lock).
 */
export function lockRegistry(locks: TabLocks, retries = [50, 100, 200]): TabRegistry {
  const tryClaim = (id: string) =>
    new Promise<boolean>((resolve) => {
      void locks.request(`${LOCK_PREFIX}${id}`, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        return lock === null ? undefined : forever();
      });
    });
  return {
    async claim(id) {
      for (const delay of [0, ...retries]) {
        if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
        if (await tryClaim(id)) return true;
      }
      return false;
    },
    hold(id) {
      void locks.request(`${LOCK_PREFIX}${id}`, forever);
    },
    close: () => undefined,
  };
}

/**
 * Without Web Locks (plain http on another host), open tabs answer for their id over a
 * BroadcastChannel. A tab answers for the id it is claiming while it waits for answers: two tabs
 * claiming the same id at once both hear the other and both start fresh, the safe way to fail
 * (one of them keeping the session would be enough to share a refresh token). A tab that is
 * frozen in the background does not answer; `window.name` covers that in browsers that do not
 * copy it into a duplicate.
 */
export function channelRegistry(channelName = 'moim.admin.tabs', waitMs = 150): TabRegistry {
  const own = new Set<string>();
  const channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(channelName);
  channel?.addEventListener('message', (event: MessageEvent<TabMessage>) => {
    const message = event.data;
    if (message.type === 'who' && own.has(message.id))
      channel.postMessage({ type: 'mine', nonce: message.nonce } satisfies TabMessage);
  });
  return {
    claim(id) {
      own.add(id);
      if (!channel) return Promise.resolve(true);
      const nonce = randomId();
      return new Promise((resolve) => {
        const onMessage = (event: MessageEvent<TabMessage>) => {
          if (event.data.type === 'mine' && event.data.nonce === nonce) done(false);
        };
        const timer = setTimeout(() => done(true), waitMs);
        const done = (claimed: boolean) => {
          clearTimeout(timer);
          channel.removeEventListener('message', onMessage);
          if (!claimed) own.delete(id);
          resolve(claimed);
        };
        channel.addEventListener('message', onMessage);
        channel.postMessage({ type: 'who', id, nonce } satisfies TabMessage);
      });
    },
    hold(id) {
      own.add(id);
    },
    close: () => channel?.close(),
  };
}

/** Web Locks where the browser has them, the channel otherwise. */
export function tabRegistry(): TabRegistry {
  const locks = (globalThis.navigator as { locks?: TabLocks } | undefined)?.locks;
  return locks ? lockRegistry(locks) : channelRegistry();
}

/** A random id; crypto.randomUUID exists only in secure contexts, and the console may be served over plain http. */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
