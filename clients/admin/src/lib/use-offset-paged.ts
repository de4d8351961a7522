import { useState } from 'react';
import { offsetPage, offsetWindow, type OffsetPage } from './offset-pages';
import { useAsync, type AsyncState } from './use-async';
import type { Paging } from './use-paged';

/** An offset-paginated list with previous/next like the cursor lists; `fetch` gets `first` and `offset`. */
export function useOffsetPaged<T>(
  fetch: (window: { first: number; offset: number }) => Promise<readonly T[]>,
  size: number,
  key: string,
): AsyncState<OffsetPage<T>> & { reload(): void; paging: Paging } {
  const [page, setPage] = useState(1);
  const state = useAsync(
    async () => offsetPage(await fetch(offsetWindow(page, size)), size),
    `${key}|${page}`,
  );
  return {
    ...state,
    paging: {
      page,
      hasPrevious: page > 1,
      hasNext: state.status === 'ready' && state.data.hasNext,
      previous: () => setPage((n) => Math.max(1, n - 1)),
      next: () => setPage((n) => n + 1),
    },
  };
}
