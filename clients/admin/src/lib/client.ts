import { createMoimClient, LogOutDocument, MoimGraphQLError, type Session } from '@moim/sdk';
import { clearExplorerStorage, explorerStorage } from './explorer-storage';
import { claimTab, sessionStorageStore } from './session-store';
import { randomId, tabRegistry } from './tabs';

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

const tabs = tabRegistry();
// Before the SDK reads the stored session: a copy taken from another tab is dropped here.
const tabClaimed = claimTab({
  storage: window.sessionStorage,
  name: { get: () => window.name, set: (value) => void (window.name = value) },
  claim: (id) => tabs.claim(id),
  hold: (id) => tabs.hold(id),
  newId: randomId,
});

try {
  // Consoles before this one let GraphiQL keep tabs and variables in localStorage, past log-out.
  clearExplorerStorage(window.localStorage);
} catch {
  // localStorage refused (a browser setting): nothing of ours can be there either.
}

/** Same origin as the console: the gateway serves both, and nothing else is ever contacted. */
export const client = createMoimClient({
  url: '/graphql',
  store: sessionStorageStore(window.sessionStorage, () => tabClaimed),
  onSessionChange: (session) => {
    // Queries and variables typed in the explorer do not outlive the session.
    if (!session) clearExplorerStorage(window.sessionStorage);
    listeners.forEach((listener) => listener(session));
  },
});

/** GraphiQL's storage: this tab's sessionStorage, written only while a session is open. */
export const explorerSessionStorage = explorerStorage(window.sessionStorage, () => client.session() !== null);

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

let pending: Promise<void> | null = null;

const isUnauthenticated = (err: unknown) => err instanceof MoimGraphQLError && err.code === 'UNAUTHENTICATED';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Logs out on purpose (the button, a refused non-admin): unlike a session that ends by itself.
 * The SDK forgets the session even when the gateway cannot be reached, but then the refresh token
 * is still valid server-side: the revocation is tried twice more, and a failure is thrown for the
 * page to show, not swallowed. A second call while one runs gets the same outcome.
 */
export function logOut(retryDelaysMs: readonly number[] = [500, 2000]): Promise<void> {
  pending ??= revoke(retryDelaysMs).finally(() => {
    pending = null;
  });
  return pending;
}

async function revoke(retryDelaysMs: readonly number[]): Promise<void> {
  const refreshToken = client.session()?.refreshToken;
  try {
    await client.logOut();
  } catch (first) {
    if (!refreshToken) throw first;
    let last = first;
    for (const delay of retryDelaysMs) {
      await sleep(delay);
      try {
        await client.request(LogOutDocument, { refreshToken });
        return;
      } catch (err) {
        if (isUnauthenticated(err)) return; // revoked or expired already
        last = err;
      }
    }
    throw last;
  }
}

/** True while `logOut` runs: session changes then are no surprise to the admin. */
export const loggingOut = (): boolean => pending !== null;
