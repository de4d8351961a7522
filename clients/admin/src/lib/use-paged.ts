import { useEffect, useState } from 'react';
import { currentCursor, firstPage, nextPage, pageNumber, previousPage } from './pages';
import { useAsync, type Loaded } from './use-async';

export const PAGE_SIZE = 20;

export interface Page<T> {
  items: T[];
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
}

export interface Paging {
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  /** A page is loading: previous/next wait for it. */
  busy: boolean;
  previous(): void;
  next(): void;
}

export type PagedList<T> = Loaded<Page<T>> & { paging: Paging };

/** A connection's nodes as a page (an absent connection, e.g. of a deleted user, as an empty one). */
export const connectionPage = <T>(
  connection: { edges: Array<{ node: T }>; pageInfo: Page<T>['pageInfo'] } | null | undefined,
): Page<T> => ({
  items: connection?.edges.map((e) => e.node) ?? [],
  pageInfo: connection?.pageInfo ?? { hasNextPage: false, endCursor: null },
});

/**
 * A cursor-paginated list: `fetchPage(after)` per page, back to the first page whenever `key`
 * (the list's filters) changes.
 */
export function usePaged<T>(
  fetchPage: (after: string | null) => Promise<Page<T>>,
  key: string,
): PagedList<T> {
  const [trail, setTrail] = useState(firstPage);
  const [trailKey, setTrailKey] = useState(key);
  if (trailKey !== key) {
    setTrailKey(key);
    setTrail(firstPage());
  }
  const after = trailKey === key ? currentCursor(trail) : null;
  const state = useAsync(() => fetchPage(after), `${key}|${after ?? ''}`);
  const ready = state.status === 'ready';
  const busy = state.status === 'loading' || state.stale;
  const page = pageNumber(trail);
  const empty = ready && state.data.items.length === 0;
  // A page past the first can come back empty after deletions (the last failed job of page 2
  // retried, its last report resolved): the page before it is shown instead of "Nothing here".
  useEffect(() => {
    if (empty && page > 1) setTrail(previousPage);
  }, [empty, page]);
  const endCursor = ready ? state.data.pageInfo.endCursor : null;
  return {
    ...state,
    paging: {
      page,
      hasPrevious: page > 1,
      // While a page loads, Next keeps the state of the page shown (the last known): focus stays on it.
      hasNext: state.data?.pageInfo.hasNextPage ?? false,
      busy,
      previous: () => !busy && setTrail(previousPage),
      next: () => !busy && setTrail((t) => nextPage(t, endCursor)),
    },
  };
}
