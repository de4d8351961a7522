import type { SearchKind } from '@moim/events';
import type {
  DocumentKey,
  IndexedDocument,
  SearchIndex,
  SearchPage,
  SearchRequest,
  Suggestion,
} from '../port';
import { SearchEngine, type EngineOptions } from './search-engine';

export { SearchEngine, type EngineOptions } from './search-engine';

/**
 * The in-process search index (`npm start`, tests): the port's async face over the synchronous
 * engine. Every call runs to completion before the next, so searches never see half an upsert.
 */
export class EmbeddedSearchIndex implements SearchIndex {
  readonly engine: SearchEngine;

  constructor(options: EngineOptions = {}) {
    this.engine = new SearchEngine(options);
  }

  async upsert(docs: readonly IndexedDocument[]): Promise<void> {
    this.engine.upsert(docs);
  }

  async remove(keys: readonly DocumentKey[]): Promise<void> {
    this.engine.remove(keys);
  }

  async search(request: SearchRequest): Promise<SearchPage> {
    return this.engine.search(request);
  }

  async suggest(prefix: string, limit: number, kinds: readonly SearchKind[] | null): Promise<Suggestion[]> {
    return this.engine.suggest(prefix, limit, kinds);
  }
}
