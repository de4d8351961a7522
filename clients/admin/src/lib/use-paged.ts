import { useState } from 'react';
import { currentCursor, firstPage, nextPage, pageNumber, previousPage } from './pages';
import { useAsync, type AsyncState } from './use-async';

export const PAGE_SIZE = 20;

export interface Page<T> {
  items: T[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

export interface Paging {
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  previous(): void;
  next(): void;
}

/**
 * A cursor-paginated list: `fetchPage(after)` per page, back to the first page whenever `key`
 * (the list's filters) changes.
 */
export function usePaged<T>(
  fetchPage: (after: string | null) => Promise<Page<T>>,
  key: string,
): AsyncState<Page<T>> & { reload(): void; paging: Paging } {
  const [trail, setTrail] = useState(firstPage);
  const [trailKey, setTrailKey] = useState(key);
  if (trailKey !== key) {
    setTrailKey(key);
    setTrail(firstPage());
  }
  const after = trailKey === key ? currentCursor(trail) : null;
  const state = useAsync(() => fetchPage(after), `${key}|${after ?? ''}`);
  const ready = state.status === 'ready';
  const endCursor = ready ? state.data.pageInfo.endCursor : null;
  return {
    ...state,
    paging: {
      page: pageNumber(trail),
      hasPrevious: pageNumber(trail) > 1,
      hasNext: ready && state.data.pageInfo.hasNextPage,
      previous: () => setTrail(previousPage),
      next: () => setTrail((t) => nextPage(t, endCursor)),
    },
  };
}
