import { createHash } from 'node:crypto';
import { algoliasearch, type Hit, type IndexSettings, type SearchClient } from 'algoliasearch';
import type { SearchKind } from '@moim/events';
import {
  docKey,
  MAX_SEARCH_WINDOW,
  type DocumentKey,
  type Highlight,
  type IndexedDocument,
  type SearchHitRef,
  type SearchIndex,
  type SearchPage,
  type SearchRequest,
  type Suggestion,
} from '../port';
import { choseong, normalize } from '../normalize';

export interface AlgoliaConfig {
  appId: string;
  /**
   * Writes and settings: only a process that writes (search's worker) is given it, and only then
   * is an admin client built. Without it the index only queries: its writes reject, sending nothing.
   */
  adminApiKey?: string;
  /** Queries: every search and suggestion goes out with this key, never the admin one. */
  searchApiKey: string;
  indexName: string;
  /** Groups of equivalent words, as the embedded engine takes them. */
  synonyms?: string[][];
  /** Other hosts than Algolia's (a proxy; the recording server of the tests): `host:port`, or a URL. */
  hosts?: { url: string; protocol?: 'http' | 'https' }[];
  /**
   * Whether upsert and remove resolve only once Algolia has applied the write. Off by default:
   * Algolia applies an index's tasks in order, so the event consumer's last write still wins, and
   * polling each task would slow indexing for a visibility the embedded engine does not promise
   * either (it applies changes on its next poll). Scripts and tests that read their own writes
   * turn it on. A rebuild index waits for all its writes in `swap()` whatever this says.
   */
  waitForTasks?: boolean;
}

export interface AlgoliaRebuild {
  /** Writes to `${indexName}_rebuild`, which has the settings and synonyms already. */
  index: AlgoliaSearchIndex;
  /**
   * Waits for every write to the rebuild index, then moves it onto the live name atomically.
   * `beforeMove` runs once the writes are applied, just before the move: throwing, it stops it.
   */
  swap(beforeMove?: () => void | Promise<void>): Promise<void>;
}

export interface AlgoliaSearchIndex extends SearchIndex {
  readonly indexName: string;
  /**
   * A hash of the settings and synonyms `applySettings()` puts (ALGOLIA_SETTINGS and this
   * config's synonyms): the sync records it, and applies them again when it changes.
   */
  readonly settingsHash: string;
  /** Puts the index's settings and synonyms as this code defines them; resolves once applied. */
  applySettings(): Promise<void>;
  /**
   * A fresh index beside the live one for a full rebuild: searches keep answering from the live
   * index until `swap()`. A rebuild left over from an earlier, interrupted run is dropped first.
   */
  rebuildBeside(): Promise<AlgoliaRebuild>;
}

/** The record as Algolia stores it; objectID is `docKey` (`${kind}:${id}`). */
interface AlgoliaRecord extends DocumentKey, Record<string, unknown> {
  objectID: string;
  title: string;
  body: string;
  authorId: string | null;
  /** The owner's popularity plus likes, as the embedded engine ranks. */
  popularity: number;
  createdAtTs: number;
  titleChoseong: string;
}

const BATCH_SIZE = 1000;
/** Algolia refuses records over 10 KB on the smaller plans, and a refused record fails its whole batch. */
const MAX_BODY_BYTES = 8_000;
const REBUILD_SUFFIX = '_rebuild';

// Our own highlight tags, so that the rest of the text can be HTML-escaped before they become
// `<em>`: Algolia returns attribute text unescaped (InstantSearch does the same with its own tags).
const PRE_TAG = '__moim-em__';
const POST_TAG = '__/moim-em__';

/** The index settings, kept in code so that every index (and every rebuild) is configured alike. */
export const ALGOLIA_SETTINGS = {
  searchableAttributes: ['unordered(title)', 'unordered(body)', 'unordered(titleChoseong)'],
  customRanking: ['desc(popularity)', 'desc(createdAtTs)'],
  attributesForFaceting: ['filterOnly(kind)', 'filterOnly(authorId)'],
  // As the embedded engine: one typo from 4 letters, two from 8.
  typoTolerance: true,
  minWordSizefor1Typo: 4,
  minWordSizefor2Typos: 8,
  // A typo in initial consonants matches unrelated titles.
  disableTypoToleranceOnAttributes: ['titleChoseong'],
  indexLanguages: ['ko', 'en'],
  queryLanguages: ['ko', 'en'],
  ignorePlurals: true,
  removeStopWords: false,
  attributesToHighlight: ['title', 'body'],
  attributesToSnippet: ['body:20'],
  highlightPreTag: '<em>',
  highlightPostTag: '</em>',
  snippetEllipsisText: '…',
  paginationLimitedTo: MAX_SEARCH_WINDOW,
} satisfies IndexSettings;

type Writer = SearchClient;
/** The search-only key's client can only search: writes through it would not type-check. */
type Reader = Pick<SearchClient, 'searchSingleIndex'>;

/** The synonym records `applySettings()` saves (groups of one word are none). */
const synonymHits = (config: Pick<AlgoliaConfig, 'synonyms'>) =>
  (config.synonyms ?? [])
    .filter((group) => group.length > 1)
    .map((synonyms, i) => ({ objectID: `synonyms-${i}`, type: 'synonym' as const, synonyms }));

/** What identifies the settings and synonyms `applySettings()` puts with this config (sha256, hex). */
export function algoliaSettingsHash(config: Pick<AlgoliaConfig, 'synonyms'>): string {
  const text = JSON.stringify({ settings: ALGOLIA_SETTINGS, synonyms: synonymHits(config) });
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The index with writes (given the admin key), or one that only queries (search's API): then no
 * admin client exists in the process, and upsert, remove and the rest reject without a request.
 */
export function createAlgoliaIndex(config: AlgoliaConfig & { adminApiKey: string }): AlgoliaSearchIndex;
export function createAlgoliaIndex(config: AlgoliaConfig): SearchIndex;
export function createAlgoliaIndex(config: AlgoliaConfig): AlgoliaSearchIndex {
  const options = config.hosts && { hosts: config.hosts.map(toHost) };
  const writer: Writer | null = config.adminApiKey
    ? algoliasearch(config.appId, config.adminApiKey, options)
    : null;
  const reader: Reader = algoliasearch(config.appId, config.searchApiKey, options);
  return bindIndex(config, writer, reader, config.indexName, null);
}

/** `127.0.0.1:8080` with its protocol, or a whole URL such as `http://127.0.0.1:8080` (ALGOLIA_HOST). */
function toHost({ url, protocol }: NonNullable<AlgoliaConfig['hosts']>[number]) {
  const parsed = /^(https?):\/\/([^/]+)\/*$/.exec(url);
  return {
    url: parsed ? parsed[2]! : url,
    protocol: parsed ? (parsed[1] as 'http' | 'https') : (protocol ?? 'https'),
    accept: 'readWrite' as const,
  };
}

/** `pending` collects the write tasks of a rebuild index, which its swap waits for. */
function bindIndex(
  config: AlgoliaConfig,
  adminClient: Writer | null,
  reader: Reader,
  indexName: string,
  pending: number[] | null,
): AlgoliaSearchIndex {
  const writer = (): Writer => {
    if (adminClient) return adminClient;
    throw new Error(
      `Algolia index ${indexName} was opened without the admin key (ALGOLIA_ADMIN_API_KEY): it only queries`,
    );
  };
  const settle = async (taskIDs: number[]) => {
    if (pending) pending.push(...taskIDs);
    else if (config.waitForTasks) await waitAll(writer(), indexName, taskIDs);
  };

  const index: AlgoliaSearchIndex = {
    indexName,
    settingsHash: algoliaSettingsHash(config),

    async applySettings() {
      const admin = writer();
      const settings = await admin.setSettings({ indexName, indexSettings: ALGOLIA_SETTINGS });
      const synonymHit = synonymHits(config);
      // Replacing (or clearing) every time: the index holds exactly the configured groups.
      const synonyms =
        synonymHit.length > 0
          ? await admin.saveSynonyms({ indexName, synonymHit, replaceExistingSynonyms: true })
          : await admin.clearSynonyms({ indexName });
      await waitAll(admin, indexName, [settings.taskID, synonyms.taskID]);
    },

    async upsert(docs) {
      if (docs.length === 0) return;
      const responses = await writer().saveObjects({
        indexName,
        objects: docs.map(toRecord),
        batchSize: BATCH_SIZE,
      });
      await settle(responses.map((r) => r.taskID));
    },

    async remove(keys) {
      if (keys.length === 0) return;
      const responses = await writer().deleteObjects({
        indexName,
        objectIDs: keys.map(docKey),
        batchSize: BATCH_SIZE,
      });
      await settle(responses.map((r) => r.taskID));
    },

    search: (request) => search(reader, indexName, request),
    suggest: (prefix, limit, kinds) => suggest(reader, indexName, prefix, limit, kinds),

    async rebuildBeside() {
      const admin = writer();
      const rebuildName = `${indexName}${REBUILD_SUFFIX}`;
      const dropped = await admin.deleteIndex({ indexName: rebuildName });
      await admin.waitForTask({ indexName: rebuildName, taskID: dropped.taskID });
      const tasks: number[] = [];
      const rebuild = bindIndex(config, admin, reader, rebuildName, tasks);
      await rebuild.applySettings();
      let swapped = false;
      return {
        index: rebuild,
        async swap(beforeMove) {
          if (swapped) throw new Error(`${rebuildName} was already moved onto ${indexName}`);
          swapped = true;
          await waitAll(admin, rebuildName, tasks.splice(0));
          await beforeMove?.();
          // A move replaces the live index (records, settings, synonyms) in one step.
          const moved = await admin.operationIndex({
            indexName: rebuildName,
            operationIndexParams: { operation: 'move', destination: indexName },
          });
          await admin.waitForTask({ indexName: rebuildName, taskID: moved.taskID });
        },
      };
    },
  };
  return index;
}

async function waitAll(writer: Writer, indexName: string, taskIDs: number[]): Promise<void> {
  // Published tasks answer at once, so waiting in order costs one request each.
  for (const taskID of taskIDs) await writer.waitForTask({ indexName, taskID });
}

async function search(reader: Reader, indexName: string, request: SearchRequest): Promise<SearchPage> {
  // Normalised as the embedded engine does (emoji and ㅋㅋ dropped; ㅅㅌㅂㅅ kept as typed).
  const query = normalize(request.query);
  // An empty query would list the whole index; no kinds at all finds nothing.
  if (!query || request.kinds?.length === 0 || request.limit <= 0) return { hits: [], hasMore: false };
  const { offset, limit } = request;
  const response = await reader.searchSingleIndex<AlgoliaRecord>({
    indexName,
    searchParams: {
      query,
      filters: filtersFor(request.kinds, request.excludeAuthorIds),
      // Offset and length rather than pages: the port's offset need not be a multiple of limit.
      offset,
      length: limit,
      attributesToRetrieve: ['kind', 'id'],
      attributesToHighlight: ['title'],
      attributesToSnippet: ['body:20'],
      highlightPreTag: PRE_TAG,
      highlightPostTag: POST_TAG,
      responseFields: ['hits', 'nbHits'],
    },
  });
  const hits = response.hits.filter(isOurs).map((hit, i): SearchHitRef => ({
    kind: hit.kind,
    id: hit.id,
    // Algolia ranks by a cascade of criteria, not a number (`_rankingInfo.userScore` is
    // internal), so the score is the rank itself: decreasing, and comparable across pages.
    score: MAX_SEARCH_WINDOW - (offset + i),
    highlights: highlightsOf(hit),
  }));
  const total = Math.min(response.nbHits ?? 0, MAX_SEARCH_WINDOW);
  return { hits, hasMore: offset + response.hits.length < total };
}

async function suggest(
  reader: Reader,
  indexName: string,
  prefix: string,
  limit: number,
  kinds: readonly SearchKind[] | null,
): Promise<Suggestion[]> {
  const query = normalize(prefix);
  if (!query || kinds?.length === 0 || limit <= 0) return [];
  const response = await reader.searchSingleIndex<AlgoliaRecord>({
    indexName,
    searchParams: {
      query,
      // The last word is a prefix (Algolia's default), so `스타벅` and `ㅅㅌㅂ` both find 스타벅스.
      restrictSearchableAttributes: ['title', 'titleChoseong'],
      filters: filtersFor(kinds, []),
      hitsPerPage: limit,
      attributesToRetrieve: ['kind', 'id', 'title'],
      attributesToHighlight: [],
      attributesToSnippet: [],
      responseFields: ['hits'],
    },
  });
  return response.hits.filter(isOurs).map((hit) => ({ kind: hit.kind, id: hit.id, text: hit.title }));
}

function toRecord(doc: IndexedDocument): AlgoliaRecord {
  const createdAt = Date.parse(doc.createdAt);
  return {
    objectID: docKey(doc),
    kind: doc.kind,
    id: doc.id,
    title: doc.title,
    body: truncateUtf8(doc.body, MAX_BODY_BYTES),
    authorId: doc.authorId,
    popularity: doc.popularity + doc.likes,
    createdAtTs: Number.isNaN(createdAt) ? 0 : Math.floor(createdAt / 1000),
    titleChoseong: titleChoseong(doc.title),
  };
}

/** `(kind:"REVIEW" OR kind:"POST") AND NOT authorId:"u1"` (values quoted, `"` and `\` escaped), or undefined. */
function filtersFor(
  kinds: readonly SearchKind[] | null,
  excludeAuthorIds: readonly string[],
): string | undefined {
  const parts: string[] = [];
  if (kinds) parts.push(`(${kinds.map((kind) => `kind:${quote(kind)}`).join(' OR ')})`);
  for (const authorId of excludeAuthorIds) parts.push(`NOT authorId:${quote(authorId)}`);
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

function isOurs(hit: Hit<AlgoliaRecord>): boolean {
  return typeof hit.kind === 'string' && typeof hit.id === 'string';
}

function highlightsOf(hit: Hit<AlgoliaRecord>): Highlight[] {
  const highlights: Highlight[] = [];
  const title = hit._highlightResult?.title;
  if (title && 'matchLevel' in title && title.matchLevel !== 'none') {
    highlights.push({ field: 'title', snippet: withEmTags(title.value as string) });
  }
  const body = hit._snippetResult?.body;
  if (body && 'matchLevel' in body && body.matchLevel !== 'none') {
    highlights.push({ field: 'body', snippet: withEmTags(body.value as string) });
  }
  return highlights;
}

/** Escapes the text and turns our highlight tags into `<em>`/`</em>`. */
function withEmTags(value: string): string {
  return value
    .split(PRE_TAG)
    .map((part) => part.split(POST_TAG).map(escapeHtml).join('</em>'))
    .join('<em>');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c]!);

/**
 * The title's initial consonants by word, then (for several words) all of them run together, so
 * that `ㄱㄴㅇ` and `ㅅㅌㅂㅅㄱㄴ` both find `스타벅스 강남역점` (`ㅅㅌㅂㅅ ㄱㄴㅇㅈ ㅅㅌㅂㅅㄱㄴㅇㅈ`), as they do
 * in the embedded engine, which ignores spaces in initial-consonant queries.
 */
export function titleChoseong(title: string): string {
  const byWord = choseong(title);
  return byWord.includes(' ') ? `${byWord} ${byWord.replaceAll(' ', '')}` : byWord;
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // A cut inside a character decodes to U+FFFD: drop it.
  return bytes
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}
