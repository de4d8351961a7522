import type { Page } from './use-paged';

/**
 * A list that has no cursor (a queue's failed jobs) paged by offset: the offset is the cursor.
 * One more item than a page is asked for, and its presence says there is a next page.
 */
export const offsetOf = (after: string | null): number => {
  const offset = after === null ? 0 : Number(after);
  return Number.isInteger(offset) && offset > 0 ? offset : 0;
};

/** The variables of the page after cursor `after`, `size` items a page. */
export const offsetWindow = (after: string | null, size: number): { first: number; offset: number } => ({
  first: size + 1,
  offset: offsetOf(after),
});

/** The page shown out of the `size + 1` items fetched from `offset`, its end cursor the next offset. */
export const offsetPage = <T>(fetched: readonly T[], offset: number, size: number): Page<T> => ({
  items: fetched.slice(0, size),
  pageInfo: { hasNextPage: fetched.length > size, endCursor: String(offset + size) },
});
