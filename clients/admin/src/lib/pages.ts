/** Where a list of cursor pages stands: the cursors that led to each page so far, so "previous" works. */
export interface PageTrail {
  /** `after` of every page visited, the first page's being null. */
  cursors: Array<string | null>;
}

export const firstPage = (): PageTrail => ({ cursors: [null] });

export const currentCursor = (trail: PageTrail): string | null =>
  trail.cursors[trail.cursors.length - 1] ?? null;

export const pageNumber = (trail: PageTrail): number => trail.cursors.length;

export const nextPage = (trail: PageTrail, endCursor: string | null | undefined): PageTrail =>
  endCursor ? { cursors: [...trail.cursors, endCursor] } : trail;

export const previousPage = (trail: PageTrail): PageTrail =>
  trail.cursors.length > 1 ? { cursors: trail.cursors.slice(0, -1) } : trail;
