import type { Session, SessionStore } from '@moim/sdk';
import { clearExplorerStorage } from './explorer-storage';

export const SESSION_KEY = 'moim.admin.session';
/** Which tab the session in this sessionStorage belongs to. */
export const TAB_KEY = 'moim.admin.tab';
const NAME_PREFIX = 'moim-admin-tab:';

/** What a tab knows about itself, apart so that the rules below can be tested without a browser. */
export interface TabEnv {
  storage: Storage;
  /** `window.name`: kept across reloads of the tab, not copied by "Duplicate tab". */
  name: { get(): string; set(value: string): void };
  /** Takes the id for this tab; false when another open tab holds it (a duplicate that got `window.name` too). */
  claim(id: string): Promise<boolean>;
  /** Holds a fresh id for this tab. */
  hold(id: string): void;
  newId(): string;
}

/**
 * This tab's id, and the session in sessionStorage dropped when it was another tab's. "Duplicate
 * tab" copies sessionStorage: two tabs would hold the same single-use refresh token, and the
 * second to refresh would present a used token, which revokes the session of both. The copy
 * logs in again instead. A reload keeps its id (in sessionStorage and `window.name` alike) and
 * no other tab claims it, so it keeps its session.
 */
export async function claimTab(env: TabEnv): Promise<string> {
  const stored = env.storage.getItem(TAB_KEY);
  const name = env.name.get();
  const named = name.startsWith(NAME_PREFIX) ? name.slice(NAME_PREFIX.length) : null;
  if (stored && stored === named && (await env.claim(stored))) return stored;
  const id = env.newId();
  env.hold(id);
  env.storage.removeItem(SESSION_KEY);
  // The original's explorer tabs and variables are not the new session's either.
  clearExplorerStorage(env.storage);
  env.storage.setItem(TAB_KEY, id);
  env.name.set(`${NAME_PREFIX}${id}`);
  return id;
}

/**
 * The session lives in sessionStorage: it survives a reload of the tab but not the tab itself,
 * and no other tab or site shares it (`claim` runs first and drops a copy taken from another tab).
 */
export function sessionStorageStore(
  storage: Storage,
  claim: () => Promise<unknown> = async () => undefined,
): SessionStore {
  return {
    async load() {
      await claim();
      const text = storage.getItem(SESSION_KEY);
      if (!text) return null;
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        // dropped below
      }
      if (isSession(parsed)) return parsed;
      storage.removeItem(SESSION_KEY);
      return null;
    },
    save(session) {
      if (session) storage.setItem(SESSION_KEY, JSON.stringify(session));
      else storage.removeItem(SESSION_KEY);
    },
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/** What another version of the console (or a hand edit) left is used only when it has a session's shape. */
function isSession(value: unknown): value is Session {
  if (!isObject(value) || !isObject(value.user)) return false;
  const strings = (o: Record<string, unknown>, keys: string[]) =>
    keys.every((key) => typeof o[key] === 'string');
  return (
    strings(value, ['accessToken', 'accessTokenExpiresAt', 'refreshToken']) &&
    strings(value.user, ['id', 'nickname', 'role'])
  );
}
