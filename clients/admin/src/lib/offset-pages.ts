/**
 * Offset pages of a list that has no cursor (a queue's failed jobs): one more item than shown is
 * asked for, and its presence says there is a next page.
 */
export interface OffsetPage<T> {
  items: T[];
  hasNext: boolean;
}

/** The variables of page `page` (1-based) of `size` items. */
export const offsetWindow = (page: number, size: number): { first: number; offset: number } => ({
  first: size + 1,
  offset: (Math.max(1, page) - 1) * size,
});

/** What a page shows out of the `size + 1` items asked for. */
export const offsetPage = <T>(fetched: readonly T[], size: number): OffsetPage<T> => ({
  items: fetched.slice(0, size),
  hasNext: fetched.length > size,
});
