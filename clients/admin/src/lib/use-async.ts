import { useCallback, useEffect, useRef, useState } from 'react';

export type AsyncState<T> =
  | { status: 'loading'; data?: T }
  | { status: 'ready'; data: T }
  | { status: 'error'; error: Error; data?: T };

/** An async state and what a page does with it. */
export type Loaded<T> = AsyncState<T> & {
  reload(): void;
  /**
   * The data shown belongs to an earlier key (other filters, another page) while the new one
   * loads: it stays on screen, but acting on it (choosing a user of the previous search) must not.
   */
  stale: boolean;
};

/**
 * Runs `load` whenever `key` changes (and on `reload`), keeping the last data while the next
 * load runs; an answer that arrives after a newer load started is dropped.
 */
export function useAsync<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  const [dataKey, setDataKey] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const id = ++latest.current;
    setState((previous) => ({ status: 'loading', data: previous.data }));
    loadRef.current().then(
      (data) => {
        if (id !== latest.current) return;
        setState({ status: 'ready', data });
        setDataKey(key);
      },
      (error: unknown) =>
        id === latest.current &&
        setState((previous) => ({ status: 'error', error: toError(error), data: previous.data })),
    );
  }, [key, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload, stale: state.data !== undefined && dataKey !== key };
}

export const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
