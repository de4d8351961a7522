import type { SearchKind } from '@moim/events';
import type { DocumentKey } from './port';
import type { SearchContext } from './domain/context';
import { search, suggestions, type SearchArgs } from './domain/queries';

const TYPENAME: Record<SearchKind, string> = {
  USER: 'User',
  REVIEW: 'Review',
  PLACE: 'Place',
  PRODUCT: 'Product',
  POST: 'Post',
  COURSE: 'Course',
};

/** A reference the owning subgraph resolves (the gateway batches one `_entities` call per owner). */
const reference = ({ kind, id }: DocumentKey) => ({ __typename: TYPENAME[kind], id });

export const searchResolvers = {
  Query: {
    search: (_: unknown, args: SearchArgs, ctx: SearchContext) => search(args, ctx),
    searchSuggestions: (
      _: unknown,
      args: { prefix: string; types?: SearchKind[] | null; first?: number | null },
      ctx: SearchContext,
    ) => suggestions(args, ctx),
  },
  SearchHit: { node: reference },
  SearchSuggestion: { node: reference, type: (s: DocumentKey) => s.kind },
  SearchResult: { __resolveType: (ref: { __typename: string }) => ref.__typename },
};
