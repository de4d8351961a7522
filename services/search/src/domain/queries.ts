import type { SearchKind } from '@moim/events';
import { badInput, decodeRankedCursor, encodeRankedCursor, pageSize, type Connection } from '@moim/kit';
import { MAX_SEARCH_WINDOW, type SearchHitRef, type Suggestion } from '../port';
import type { SearchContext } from './context';
import { authorsOf, blockedBy, keyOf } from './store';

export const MAX_QUERY_LENGTH = 200;
export const MAX_SUGGESTIONS = 20;

function queryText(text: string, name: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw badInput(`${name} must not be empty`, name);
  if ([...trimmed].length > MAX_QUERY_LENGTH)
    throw badInput(`${name} is too long (at most ${MAX_QUERY_LENGTH} characters)`, name);
  return trimmed;
}

/** A hit's place in the list: ranked cursors carry the position, and the hit's id. */
const cursorAt = (position: number, hit: SearchHitRef) =>
  encodeRankedCursor({ rank: 0, keys: [String(position)], id: hit.id });

function offsetOf(after: string | null | undefined): number {
  if (!after) return 0;
  const { keys } = decodeRankedCursor(after);
  const position = Number(keys[0]);
  if (keys.length !== 1 || !Number.isInteger(position) || position < 1 || position > MAX_SEARCH_WINDOW)
    throw badInput('after is not a valid cursor', 'after');
  return position;
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
  const page = await ctx.deps.index().search({
    query,
    kinds: args.types?.length ? args.types : null,
    offset,
    limit: size,
    excludeAuthorIds: viewer ? await blockedBy(ctx.deps.db, viewer) : [],
  });
  const edges = page.hits.map((hit, i) => ({ node: hit, cursor: cursorAt(offset + i + 1, hit) }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.hasMore && offset + size < MAX_SEARCH_WINDOW,
      endCursor: edges.at(-1)?.cursor ?? null,
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
  const kinds = args.types?.length ? args.types : null;
  const viewer = ctx.caller.userId;
  const blocked = viewer ? await blockedBy(ctx.deps.db, viewer) : [];
  if (!blocked.length) return ctx.deps.index().suggest(prefix, first, kinds);
  // Suggestions carry no author: ask for enough more, then leave out what the blocked wrote (or are).
  const candidates = await ctx.deps.index().suggest(prefix, first + blocked.length, kinds);
  const authors = await authorsOf(
    ctx.deps.db,
    candidates.map((c) => keyOf(c.kind, c.id)),
  );
  const hidden = new Set(blocked);
  return candidates.filter((c) => !hidden.has(authors.get(keyOf(c.kind, c.id)) ?? '')).slice(0, first);
}
