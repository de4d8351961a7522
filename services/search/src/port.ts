import type { SearchDocument, SearchKind } from '@moim/events';

/**
 * The search index port: the embedded engine (`engine/`) and Algolia (`backends/algolia.ts`)
 * both implement it. The search service's tables are the truth; an index is a projection of them
 * that can always be rebuilt.
 */

/** A document as indexed: the owner's document plus the likes search counted from like events. */
export interface IndexedDocument extends SearchDocument {
  likes: number;
}

export interface DocumentKey {
  kind: SearchKind;
  id: string;
}

export interface SearchRequest {
  /** The user's text as typed (the index normalises it). Non-empty after trimming. */
  query: string;
  /** Only these kinds; null for all. */
  kinds: readonly SearchKind[] | null;
  /** Hits skipped (the page's start) and returned at most. offset + limit ≤ MAX_SEARCH_WINDOW. */
  offset: number;
  limit: number;
  /** Documents by these authors never appear (the viewer blocks them). */
  excludeAuthorIds: readonly string[];
}

export interface Highlight {
  field: 'title' | 'body';
  /** The field's text (or, for long bodies, a window of it) with matches between `<em>` and `</em>`; the rest HTML-escaped. */
  snippet: string;
}

export interface SearchHitRef extends DocumentKey {
  score: number;
  highlights: Highlight[];
}

export interface SearchPage {
  hits: SearchHitRef[];
  /** True when more hits follow this page (within MAX_SEARCH_WINDOW). */
  hasMore: boolean;
}

export interface Suggestion extends DocumentKey {
  /** The title that matched, as written. */
  text: string;
}

export interface SearchIndex {
  /** Adds or replaces documents (by kind and id). */
  upsert(docs: readonly IndexedDocument[]): Promise<void>;
  /** Removes documents; unknown keys are ignored. */
  remove(keys: readonly DocumentKey[]): Promise<void>;
  search(request: SearchRequest): Promise<SearchPage>;
  /** Titles starting with (a word starting with) the prefix, or whose initial consonants do; most popular first. */
  suggest(prefix: string, limit: number, kinds: readonly SearchKind[] | null): Promise<Suggestion[]>;
}

/** How deep pages go: offset + first never passes it (Algolia's default pagination limit too). */
export const MAX_SEARCH_WINDOW = 1000;

export const docKey = (d: DocumentKey): string => `${d.kind}:${d.id}`;
