import { createMoimClient, type Session } from '@moim/sdk';
import { sessionStorageStore } from './session-store';

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();

/** Same origin as the console: the gateway serves both, and nothing else is ever contacted. */
export const client = createMoimClient({
  url: '/graphql',
  store: sessionStorageStore(window.sessionStorage),
  onSessionChange: (session) => listeners.forEach((listener) => listener(session)),
});

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

let deliberate = false;

/** Logs out on purpose (the button, a refused non-admin): unlike a session that ends by itself. */
export async function logOut(): Promise<void> {
  deliberate = true;
  try {
    await client.logOut();
  } finally {
    deliberate = false;
  }
}

/** True while `logOut` runs: session changes then are no surprise to the admin. */
export const loggingOut = (): boolean => deliberate;
