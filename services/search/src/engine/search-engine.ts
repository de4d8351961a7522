import type { SearchKind } from '@moim/events';
import { choseong, isChoseongQuery, normalize } from '../normalize';
import {
  MAX_SEARCH_WINDOW,
  type DocumentKey,
  type Highlight,
  type IndexedDocument,
  type SearchPage,
  type SearchRequest,
  type Suggestion,
} from '../port';
import { DocStore, kindIndex, KINDS } from './doc-store';
import { execute, type Filter } from './execute';
import { markChoseong, markMatches, snippet } from './highlight';
import { DocIndexer } from './indexer';
import { planQuery, Synonyms, type QueryPlan } from './query';
import { finalScore } from './ranking';
import { MAX_SEGMENT_DOCS, PostingBuffer } from './segment';
import { MAX_SEGMENT_POSTINGS, SegmentSet } from './segment-set';
import { SuggestIndex } from './suggest';
import { TermDictionary } from './terms';
import { TopK } from './top-k';
import type { TermKey } from './tokenize';
import { Vocabulary } from './vocabulary';

export interface EngineOptions {
  /** Groups of equivalent words or phrases: a query word in a group also matches the others. */
  synonyms?: readonly (readonly string[])[];
}

/**
 * The synchronous engine: documents in a columnar store, postings in immutable segments (a bulk
 * load makes a few large ones, each upsert batch a small one, merged as they accumulate),
 * replacements and removals as tombstones.
 */
export class SearchEngine {
  private readonly store = new DocStore();
  private readonly dictionary = new TermDictionary();
  private readonly vocabulary = new Vocabulary(this.dictionary);
  private readonly segments = new SegmentSet(this.store, this.dictionary);
  private readonly indexer = new DocIndexer(this.dictionary);
  private readonly titles = new SuggestIndex();
  private readonly synonyms: Synonyms;
  private readonly buffer = new PostingBuffer();
  /** The first slot whose postings are still in the buffer. */
  private pendingFrom = 0;

  constructor(options: EngineOptions = {}) {
    this.synonyms = new Synonyms(options.synonyms ?? []);
    this.dictionary.onNewWord = (id, word) => this.vocabulary.added(id, word);
  }

  /** Live documents. */
  get size(): number {
    return this.store.live;
  }

  /** Segments and postings, for benchmarks and tests. */
  stats(): { segments: number; postings: number; terms: number } {
    this.flush();
    const list = this.segments.list;
    return {
      segments: list.length,
      postings: list.reduce((n, s) => n + s.postings, 0),
      terms: this.dictionary.size,
    };
  }

  /**
   * Indexes into the pending buffer, which becomes a segment when it is full or before the next
   * search: a bulk load fed in batches of any size makes the same few large segments.
   */
  upsert(docs: readonly IndexedDocument[]): void {
    const { store, buffer } = this;
    for (const doc of docs) {
      const old = store.slotOf(doc.kind, doc.id);
      if (old >= 0) this.kill(old);
      const slot = store.add(doc);
      const lengths = this.indexer.index(slot, doc.title, doc.body, buffer);
      store.setLengths(slot, lengths.title, lengths.body);
      if (doc.title !== '') this.titles.add(slot, normalize(doc.title));
      if (buffer.length >= MAX_SEGMENT_POSTINGS || store.size - this.pendingFrom >= MAX_SEGMENT_DOCS)
        this.flush();
    }
  }

  /** Turns the pending postings into a segment (done by every search; public for timing a bulk load). */
  flush(): void {
    const { store, buffer } = this;
    if (this.pendingFrom < store.size) {
      this.segments.add(buffer, this.pendingFrom, store.size);
      buffer.release();
      this.pendingFrom = store.size;
    }
    // New words and titles are sorted now rather than in a search, once there are many.
    this.vocabulary.settleIfLarge();
    this.titles.settleIfLarge(store.alive);
  }

  remove(keys: readonly DocumentKey[]): void {
    for (const key of keys) {
      const slot = this.store.slotOf(key.kind, key.id);
      if (slot >= 0) this.kill(slot);
    }
  }

  search(request: SearchRequest): SearchPage {
    const { offset, limit } = request;
    if (!Number.isInteger(offset) || !Number.isInteger(limit) || offset < 0 || limit < 0) {
      throw new RangeError('offset and limit must be non-negative integers');
    }
    if (offset + limit > MAX_SEARCH_WINDOW)
      throw new RangeError(`offset + limit must be at most ${MAX_SEARCH_WINDOW}`);
    this.flush();
    const query = normalize(request.query);
    const plan = planQuery(query, /\s$/.test(request.query), {
      dictionary: this.dictionary,
      vocabulary: this.vocabulary,
      synonyms: this.synonyms,
      docs: Math.max(this.store.live, 1),
    });
    const end = offset + limit;
    if (plan === null || plan.terms.length === 0 || limit === 0) return { hits: [], hasMore: false };

    const store = this.store;
    // One more than the page, to know whether another follows (within the window).
    const top = new TopK(Math.min(end + 1, MAX_SEARCH_WINDOW), store);
    const initials = plan.choseong;
    execute(
      {
        plan,
        store,
        filter: this.filter(request.kinds, request.excludeAuthorIds),
        top,
        verify:
          initials === null
            ? null
            : (slot) => choseong(store.title(slot)).replaceAll(' ', '').includes(initials),
        partial: initials === null,
      },
      this.segments.list,
    );
    const ranked = top.page(offset, end);
    const keys = highlightKeys(plan);
    const hits = ranked.hits.map(({ slot, coverage, relevance }) => ({
      kind: KINDS[store.kind[slot]!]!,
      id: store.id(slot),
      score: finalScore(coverage, relevance),
      highlights: this.highlights(slot, plan, keys),
    }));
    return { hits, hasMore: ranked.kept > end };
  }

  suggest(prefix: string, limit: number, kinds: readonly SearchKind[] | null): Suggestion[] {
    const text = normalize(prefix);
    if (text === '' || limit <= 0) return [];
    this.flush();
    const store = this.store;
    const filter = this.filter(kinds, []);
    const seen = new Set<number>();
    for (const slot of this.titles.lookup(text, isChoseongQuery(text), store.alive)) {
      if (
        store.alive[slot] === 1 &&
        (filter.kinds === -1 || (filter.kinds & (1 << store.kind[slot]!)) !== 0)
      ) {
        seen.add(slot);
      }
    }
    const top = new TopK(limit, store);
    for (const slot of seen) top.offer(store.popularity[slot]!, 0, slot);
    return top.sorted().map(({ slot }) => ({
      kind: KINDS[store.kind[slot]!]!,
      id: store.id(slot),
      text: store.title(slot),
    }));
  }

  private kill(slot: number): void {
    this.store.kill(slot);
    this.segments.killed(slot);
  }

  private filter(kinds: readonly SearchKind[] | null, excludeAuthorIds: readonly string[]): Filter {
    let mask = -1;
    if (kinds !== null) {
      mask = 0;
      for (const kind of kinds) {
        const k = kindIndex(kind);
        if (k >= 0) mask |= 1 << k;
      }
    }
    const excluded = new Set<number>();
    for (const author of excludeAuthorIds) {
      const a = this.store.authorIndex(author);
      if (a >= 0) excluded.add(a);
    }
    return { kinds: mask, excluded: excluded.size > 0 ? excluded : null };
  }

  private highlights(slot: number, plan: QueryPlan, keys: ReadonlySet<TermKey>): Highlight[] {
    const title = this.store.title(slot);
    const body = this.store.body(slot);
    const out: Highlight[] = [];
    if (title !== '') {
      const marks = plan.choseong !== null ? markChoseong(title, plan.choseong) : markMatches(title, keys);
      out.push({ field: 'title', snippet: snippet(title, marks, false) });
    }
    if (body !== '') {
      const marks = plan.choseong !== null ? new Uint8Array(body.length) : markMatches(body, keys);
      out.push({ field: 'body', snippet: snippet(body, marks, true) });
    }
    return out;
  }
}

function highlightKeys(plan: QueryPlan): Set<TermKey> {
  return new Set(plan.terms.map((t) => t.key));
}
