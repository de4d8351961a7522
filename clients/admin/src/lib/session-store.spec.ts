import { describe, expect, it } from 'vitest';
import { createMoimClient, type Session } from '@moim/sdk';
import { sessionStorageStore, SESSION_KEY } from './session-store';

/** Node has no sessionStorage: the Web Storage interface over a Map. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

const session: Session = {
  accessToken: 'a',
  accessTokenExpiresAt: '2026-01-01T00:00:00.000Z',
  refreshToken: 'r',
  user: { id: 'u1', nickname: 'admin', role: 'ADMIN' },
};

describe('sessionStorageStore', () => {
  it('keeps the session under one key and forgets it on log-out', () => {
    const storage = memoryStorage();
    const store = sessionStorageStore(storage);
    expect(store.load()).toBeNull();
    store.save(session);
    expect(JSON.parse(storage.getItem(SESSION_KEY)!)).toEqual(session);
    expect(store.load()).toEqual(session);
    store.save(null);
    expect(storage.length).toBe(0);
  });

  it('drops what it cannot read instead of failing the console', () => {
    const storage = memoryStorage();
    storage.setItem(SESSION_KEY, '{not json');
    expect(sessionStorageStore(storage).load()).toBeNull();
    expect(storage.getItem(SESSION_KEY)).toBeNull();
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
