import { offsetPage, offsetWindow } from './offset-pages';
import { usePaged, type PagedList } from './use-paged';

/** An offset-paginated list, paged like the cursor lists (the offset is the cursor); `fetch` gets `first` and `offset`. */
export function useOffsetPaged<T>(
  fetch: (window: { first: number; offset: number }) => Promise<readonly T[]>,
  size: number,
  key: string,
): PagedList<T> {
  return usePaged(async (after) => {
    const window = offsetWindow(after, size);
    return offsetPage(await fetch(window), window.offset, size);
  }, key);
}
