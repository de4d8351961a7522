import { useCallback, useEffect, useRef, useState } from 'react';

export type AsyncState<T> =
  | { status: 'loading'; data?: T }
  | { status: 'ready'; data: T }
  | { status: 'error'; error: Error; data?: T };

/**
 * Runs `load` whenever `key` changes (and on `reload`), keeping the last data while the next
 * load runs; an answer that arrives after a newer load started is dropped.
 */
export function useAsync<T>(load: () => Promise<T>, key: string): AsyncState<T> & { reload(): void } {
  const [state, setState] = useState<AsyncState<T>>({ status: 'loading' });
  const [round, setRound] = useState(0);
  const latest = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    const id = ++latest.current;
    setState((previous) => ({ status: 'loading', data: previous.data }));
    loadRef.current().then(
      (data) => id === latest.current && setState({ status: 'ready', data }),
      (error: unknown) =>
        id === latest.current &&
        setState((previous) => ({ status: 'error', error: toError(error), data: previous.data })),
    );
  }, [key, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  return { ...state, reload };
}

export const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
