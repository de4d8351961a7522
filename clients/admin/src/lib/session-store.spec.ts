import { describe, expect, it } from 'vitest';
import { createMoimClient, type Session } from '@moim/sdk';
import { claimTab, sessionStorageStore, SESSION_KEY, TAB_KEY, type TabEnv } from './session-store';
import { memoryStorage } from './memory-storage.test-util';
import { channelRegistry } from './tabs';

const session: Session = {
  accessToken: 'a',
  accessTokenExpiresAt: '2026-01-01T00:00:00.000Z',
  refreshToken: 'r',
  user: { id: 'u1', nickname: 'admin', role: 'ADMIN' },
};

describe('sessionStorageStore', () => {
  it('keeps the session under one key and forgets it on log-out', async () => {
    const storage = memoryStorage();
    const store = sessionStorageStore(storage);
    expect(await store.load()).toBeNull();
    store.save(session);
    expect(JSON.parse(storage.getItem(SESSION_KEY)!)).toEqual(session);
    expect(await store.load()).toEqual(session);
    store.save(null);
    expect(storage.length).toBe(0);
  });

  it('drops what it cannot read instead of failing the console', async () => {
    const storage = memoryStorage();
    for (const text of ['{not json', '{}', JSON.stringify({ ...session, user: null })]) {
      storage.setItem(SESSION_KEY, text);
      expect(await sessionStorageStore(storage).load()).toBeNull();
      expect(storage.getItem(SESSION_KEY)).toBeNull();
    }
  });

  it('is what the SDK client starts from after a reload', async () => {
    const storage = memoryStorage();
    sessionStorageStore(storage).save(session);
    const client = createMoimClient({
      url: 'http://127.0.0.1:9/graphql',
      store: sessionStorageStore(storage),
    });
    expect(await client.ready()).toEqual(session);
    client.close();
  });
});

/** A tab: its sessionStorage and window.name, and whether other tabs answer for an id. */
function tab(storage = memoryStorage(), name = '', others: string[] = []) {
  let n = 0;
  const window = { name };
  const env: TabEnv = {
    storage,
    name: { get: () => window.name, set: (value) => void (window.name = value) },
    claim: async (id) => !others.includes(id),
    hold: () => undefined,
    newId: () => `tab-${++n}-${Math.random()}`,
  };
  return { env, window, storage };
}

/** "Duplicate tab": sessionStorage copied, window.name copied or not depending on the browser. */
function duplicate(of: ReturnType<typeof tab>, copyName: boolean, originalId: string) {
  const storage = memoryStorage();
  for (let i = 0; i < of.storage.length; i++)
    storage.setItem(of.storage.key(i)!, of.storage.getItem(of.storage.key(i)!)!);
  return tab(storage, copyName ? of.window.name : '', [originalId]);
}

describe('claimTab', () => {
  it('keeps the session of a tab across reloads', async () => {
    const first = tab();
    const id = await claimTab(first.env);
    sessionStorageStore(first.storage).save(session);
    // The reload: same sessionStorage and window.name, and no other tab holds the id.
    const reloaded = tab(first.storage, first.window.name);
    expect(await claimTab(reloaded.env)).toBe(id);
    expect(await sessionStorageStore(reloaded.storage, () => claimTab(reloaded.env)).load()).toEqual(session);
  });

  it('drops a session copied into a duplicated tab, which gets an id of its own', async () => {
    for (const copyName of [false, true]) {
      const original = tab();
      const id = await claimTab(original.env);
      sessionStorageStore(original.storage).save(session);
      original.storage.setItem('graphiql:tabState', '{"query":"the original\'s"}');
      const copy = duplicate(original, copyName, id);
      const store = sessionStorageStore(copy.storage, () => claimTab(copy.env));
      expect(await store.load()).toBeNull();
      expect(copy.storage.getItem('graphiql:tabState')).toBeNull();
      expect(copy.storage.getItem(TAB_KEY)).not.toBe(id);
      expect(copy.window.name).not.toBe(original.window.name);
      // The original keeps its session, and the copy's next log-in is its own.
      expect(JSON.parse(original.storage.getItem(SESSION_KEY)!)).toEqual(session);
    }
  });

  it('starts a new tab without a session', async () => {
    const fresh = tab();
    fresh.storage.setItem(SESSION_KEY, JSON.stringify(session)); // left without a tab id
    expect(await sessionStorageStore(fresh.storage, () => claimTab(fresh.env)).load()).toBeNull();
  });
});

describe('channelRegistry (no Web Locks: plain http on another host)', () => {
  const registries = (n: number) => {
    const name = `moim.admin.tabs.test.${Math.random()}`;
    return Array.from({ length: n }, () => channelRegistry(name, 200));
  };

  it('refuses an id a live tab holds, and gives it once that tab is gone', async () => {
    const [original, copy] = registries(2) as [
      ReturnType<typeof channelRegistry>,
      ReturnType<typeof channelRegistry>,
    ];
    try {
      original.hold('tab-a');
      expect(await copy.claim('tab-a')).toBe(false);
      expect(await copy.claim('tab-b')).toBe(true);
      original.close();
      expect(await copy.claim('tab-a')).toBe(true);
    } finally {
      original.close();
      copy.close();
    }
  });

  it('refuses both of two tabs claiming the same id at once', async () => {
    const tabs = registries(2);
    try {
      expect(await Promise.all(tabs.map((tab) => tab.claim('tab-a')))).toEqual([false, false]);
    } finally {
      tabs.forEach((tab) => tab.close());
    }
  });
});
