import type { Session, SessionStore } from '@moim/sdk';

export const SESSION_KEY = 'moim.admin.session';

/**
 * The session lives in sessionStorage: it survives a reload of the tab but not the tab itself,
 * and no other tab or site shares it.
 */
export function sessionStorageStore(storage: Storage, key = SESSION_KEY): SessionStore {
  return {
    load() {
      const text = storage.getItem(key);
      if (!text) return null;
      try {
        return JSON.parse(text) as Session;
      } catch {
        storage.removeItem(key);
        return null;
      }
    },
    save(session) {
      if (session) storage.setItem(key, JSON.stringify(session));
      else storage.removeItem(key);
    },
  };
}
