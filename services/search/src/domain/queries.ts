import type { SearchKind } from '@moim/events';
import { badInput, decodeRankedCursor, encodeRankedCursor, pageSize, type Connection } from '@moim/kit';
import { MAX_SEARCH_WINDOW, type DocumentKey, type SearchHitRef, type Suggestion } from '../port';
import type { SearchContext } from './context';
import { blockedBy, documentStates, keyOf } from './store';

export const MAX_QUERY_LENGTH = 200;
export const MAX_SUGGESTIONS = 20;
/**
 * Blocked authors handed to the index (a filter of Algolia's grows with each); the page is checked
 * against all of them afterwards anyway.
 */
const MAX_EXCLUDED_IN_INDEX = 100;

function queryText(text: string, name: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw badInput(`${name} must not be empty`, name);
  if ([...trimmed].length > MAX_QUERY_LENGTH)
    throw badInput(`${name} is too long (at most ${MAX_QUERY_LENGTH} characters)`, name);
  return trimmed;
}

/** Null (every kind) when none are asked for; each kind once. */
const kindsOf = (types: readonly SearchKind[] | null | undefined): SearchKind[] | null =>
  types?.length ? [...new Set(types)] : null;

/**
 * A place in the list: ranked cursors carry the position (and an id the format asks for, the
 * hit's own — or none for the end of a page whose last hit was left out, so nothing left out is
 * named).
 */
const NO_ID = '00000000-0000-4000-8000-000000000000';
const cursorAt = (position: number, hit: { id: string } | null) =>
  encodeRankedCursor({ rank: 0, keys: [String(position)], id: hit?.id ?? NO_ID });

function offsetOf(after: string | null | undefined): number {
  if (!after) return 0;
  const { keys } = decodeRankedCursor(after);
  const position = Number(keys[0]);
  if (keys.length !== 1 || !Number.isInteger(position) || position < 1 || position > MAX_SEARCH_WINDOW)
    throw badInput('after is not a valid cursor', 'after');
  return position;
}

/**
 * Keeps what the tables say may still be found, and not by someone the viewer blocks: an index
 * can lag behind a hide, a delete or a block by a poll, or by a whole rebuild.
 */
async function stillFindable<T extends DocumentKey>(
  ctx: SearchContext,
  items: T[],
  blocked: readonly string[],
) {
  const states = await documentStates(
    ctx.deps.db,
    items.map((item) => keyOf(item.kind, item.id)),
  );
  const hidden = new Set(blocked);
  return items.filter((item) => {
    const state = states.get(keyOf(item.kind, item.id));
    return state?.findable === true && !(state.authorId && hidden.has(state.authorId));
  });
}

export interface SearchArgs {
  query: string;
  types?: SearchKind[] | null;
  first?: number | null;
  after?: string | null;
}

export async function search(args: SearchArgs, ctx: SearchContext): Promise<Connection<SearchHitRef>> {
  const query = queryText(args.query, 'query');
  const size = pageSize(args.first);
  const offset = offsetOf(args.after);
  if (offset + size > MAX_SEARCH_WINDOW)
    throw badInput(`search pages go ${MAX_SEARCH_WINDOW} hits deep; refine the query`, 'after');
  const viewer = ctx.caller.userId;
  const blocked = viewer ? await blockedBy(ctx.deps.db, viewer) : [];
  const page = await ctx.deps.index().search({
    query,
    kinds: kindsOf(args.types),
    offset,
    limit: size,
    excludeAuthorIds: blocked.slice(0, MAX_EXCLUDED_IN_INDEX),
  });
  // Positions are the index's: a hit left out below leaves a gap, never a shifted page.
  const positioned = page.hits.map((hit, i) => ({ ...hit, position: offset + i + 1 }));
  const edges = (await stillFindable(ctx, positioned, blocked)).map(({ position, ...hit }) => ({
    node: hit,
    cursor: cursorAt(position, hit),
  }));
  const last = positioned.at(-1);
  const lastKept = edges.at(-1)?.node;
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasMore && offset + size < MAX_SEARCH_WINDOW,
      endCursor: last ? cursorAt(last.position, lastKept?.id === last.id ? last : null) : null,
    },
  };
}

export async function suggestions(
  args: { prefix: string; types?: SearchKind[] | null; first?: number | null },
  ctx: SearchContext,
): Promise<Suggestion[]> {
  const prefix = queryText(args.prefix, 'prefix');
  const first = args.first ?? 10;
  if (!Number.isInteger(first) || first < 1 || first > MAX_SUGGESTIONS)
    throw badInput(`first must be between 1 and ${MAX_SUGGESTIONS}`, 'first');
  const viewer = ctx.caller.userId;
  const blocked = viewer ? await blockedBy(ctx.deps.db, viewer) : [];
  // Suggestions carry no author: ask for some more, then leave out what is gone or blocked.
  const candidates = await ctx.deps
    .index()
    .suggest(prefix, first + Math.min(blocked.length, MAX_EXCLUDED_IN_INDEX) + 5, kindsOf(args.types));
  return (await stillFindable(ctx, candidates, blocked)).slice(0, first);
}
