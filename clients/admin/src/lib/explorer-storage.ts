/** GraphiQL's keys all start so (tabs with their variables, history, headers). */
const PREFIX = 'graphiql:';

/**
 * GraphiQL's storage (its `storage` prop) in sessionStorage instead of its default localStorage:
 * queries, variables and history stay with the tab, and `clearExplorerStorage` drops them when
 * the admin logs out. GraphiQL writes its tabs half a second after the last keystroke, so a
 * write can land after a log-out: writes are dropped while `open()` says no session is open.
 */
export function explorerStorage(storage: Storage, open: () => boolean = () => true) {
  const keys = () =>
    Array.from({ length: storage.length }, (_, i) => storage.key(i)).filter(
      (key): key is string => key !== null && key.startsWith(PREFIX),
    );
  return {
    getItem: (key: string) => storage.getItem(key),
    setItem: (key: string, value: string) => {
      if (open()) storage.setItem(key, value);
    },
    removeItem: (key: string) => storage.removeItem(key),
    get length() {
      return keys().length;
    },
    clear: () => keys().forEach((key) => storage.removeItem(key)),
  };
}

/** Forgets what the explorer kept in `storage` (and, for localStorage, what older consoles left there). */
export const clearExplorerStorage = (storage: Storage): void => explorerStorage(storage).clear();
