import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IndexedDocument } from '../port';
import {
  ALGOLIA_SETTINGS,
  algoliaSettingsHash,
  createAlgoliaIndex,
  titleChoseong,
  type AlgoliaConfig,
  type AlgoliaSearchIndex,
} from './algolia';

// The Algolia adapter checked at the wire, without Algolia: the real client talks to a local
// server that records each request and answers as Algolia's REST API does.

interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

type SearchAnswer = (body: Record<string, unknown>) => Record<string, unknown>;

function fakeAlgolia() {
  const requests: Recorded[] = [];
  const state: { searchAnswer: SearchAnswer; failBatches: boolean; taskID: number } = {
    searchAnswer: () => ({ hits: [], nbHits: 0 }),
    failBatches: false,
    taskID: 100,
  };

  const route = (r: Recorded): [number, unknown] => {
    const [, version, indexes, rawIndex, ...rest] = r.path.split('/');
    if (version !== '1' || indexes !== 'indexes' || !rawIndex)
      return [404, { message: 'Not found', status: 404 }];
    const action = `${r.method} ${rest.join('/').replace(/^task\/\d+$/, 'task')}`;
    const updatedAt = '2025-01-01T00:00:00.000Z';
    switch (action) {
      case 'POST batch':
        if (state.failBatches) return [400, { message: 'Record at the position 0 is too big', status: 400 }];
        return [
          200,
          {
            taskID: ++state.taskID,
            objectIDs: r.body.requests.map((q: { body: { objectID: string } }) => q.body.objectID),
          },
        ];
      case 'PUT settings':
      case 'POST synonyms/batch':
      case 'POST synonyms/clear':
      case 'POST operation':
        return [200, { taskID: ++state.taskID, updatedAt }];
      case 'DELETE ':
        return [200, { taskID: ++state.taskID, deletedAt: updatedAt }];
      case 'GET task':
        return [200, { status: 'published' }];
      case 'POST query':
        return [
          200,
          {
            processingTimeMS: 1,
            exhaustiveNbHits: true,
            query: r.body.query,
            params: '',
            ...state.searchAnswer(r.body),
          },
        ];
      default:
        return [404, { message: `Unexpected ${action}`, status: 404 }];
    }
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const url = new URL(req.url!, 'http://fake');
      const recorded: Recorded = {
        method: req.method!,
        path: decodeURIComponent(url.pathname),
        query: url.searchParams,
        headers: req.headers,
        body: raw.length > 0 ? JSON.parse(raw.toString('utf8')) : undefined,
      };
      requests.push(recorded);
      const [status, answer] = route(recorded);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(answer));
    });
  });
  return { server, requests, state };
}

const fake = fakeAlgolia();
let config: AlgoliaConfig & { adminApiKey: string };

beforeAll(async () => {
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  const { port } = fake.server.address() as AddressInfo;
  config = {
    appId: 'MOIMTEST',
    adminApiKey: 'admin-key-never-on-queries',
    searchApiKey: 'search-only-key',
    indexName: 'moim',
    synonyms: [
      ['카페', '커피숍'],
      ['nyc', 'new york'],
    ],
    hosts: [{ url: `127.0.0.1:${port}`, protocol: 'http' }],
  };
});

afterAll(async () => {
  fake.server.closeAllConnections();
  await new Promise((resolve) => fake.server.close(resolve));
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.state.failBatches = false;
  fake.state.taskID = 100;
});

const summary = () => fake.requests.map((r) => `${r.method} ${r.path}`);
const apiKeys = () => new Set(fake.requests.map((r) => r.headers['x-algolia-api-key']));

function doc(i: number, overrides: Partial<IndexedDocument> = {}): IndexedDocument {
  return {
    kind: 'PLACE',
    id: `p${i}`,
    title: '스타벅스 강남역점',
    body: '서울 강남구 · 카페',
    authorId: null,
    popularity: 3,
    likes: 0,
    createdAt: '2024-03-01T12:00:00.000Z',
    ...overrides,
  };
}

describe('applySettings', () => {
  it('puts the settings by code and replaces the synonyms, with the admin key, then waits for both', async () => {
    await createAlgoliaIndex(config).applySettings();

    expect(summary()).toEqual([
      'PUT /1/indexes/moim/settings',
      'POST /1/indexes/moim/synonyms/batch',
      'GET /1/indexes/moim/task/101',
      'GET /1/indexes/moim/task/102',
    ]);
    expect(apiKeys()).toEqual(new Set([config.adminApiKey]));
    expect(fake.requests[0]!.headers['x-algolia-application-id']).toBe('MOIMTEST');

    const settings = fake.requests[0]!.body;
    expect(settings).toEqual(ALGOLIA_SETTINGS);
    expect(settings).toMatchObject({
      searchableAttributes: ['unordered(title)', 'unordered(body)', 'unordered(titleChoseong)'],
      customRanking: ['desc(popularity)', 'desc(createdAtTs)'],
      attributesForFaceting: ['filterOnly(kind)', 'filterOnly(authorId)'],
      typoTolerance: true,
      minWordSizefor1Typo: 4,
      minWordSizefor2Typos: 8,
      indexLanguages: ['ko', 'en'],
      queryLanguages: ['ko', 'en'],
      removeStopWords: false,
      attributesToSnippet: ['body:20'],
      highlightPreTag: '<em>',
      highlightPostTag: '</em>',
      paginationLimitedTo: 1000,
    });

    const synonyms = fake.requests[1]!;
    expect(synonyms.query.get('replaceExistingSynonyms')).toBe('true');
    expect(synonyms.body).toEqual([
      { objectID: 'synonyms-0', type: 'synonym', synonyms: ['카페', '커피숍'] },
      { objectID: 'synonyms-1', type: 'synonym', synonyms: ['nyc', 'new york'] },
    ]);
  });

  it('clears the synonyms when none are configured', async () => {
    await createAlgoliaIndex({ ...config, synonyms: [] }).applySettings();
    expect(summary()).toContain('POST /1/indexes/moim/synonyms/clear');
    expect(summary()).not.toContain('POST /1/indexes/moim/synonyms/batch');
  });

  it('names what it applies by a hash: the same for the same synonyms, another for others', () => {
    const index = createAlgoliaIndex(config);
    expect(index.settingsHash).toMatch(/^[0-9a-f]{64}$/);
    expect(index.settingsHash).toBe(algoliaSettingsHash({ synonyms: config.synonyms }));
    // Neither the keys nor the index name count: only what applySettings() puts.
    expect(createAlgoliaIndex({ ...config, adminApiKey: 'other', indexName: 'x' }).settingsHash).toBe(
      index.settingsHash,
    );
    // Groups of one word are not applied, so they do not count either.
    expect(algoliaSettingsHash({ synonyms: [...config.synonyms!, ['solo']] })).toBe(index.settingsHash);
    expect(algoliaSettingsHash({ synonyms: [['카페', '커피숍']] })).not.toBe(index.settingsHash);
    expect(algoliaSettingsHash({ synonyms: [] })).toBe(algoliaSettingsHash({}));
    expect(algoliaSettingsHash({})).not.toBe(index.settingsHash);
  });
});

describe('without the admin key', () => {
  it('builds no admin client: it queries with the search-only key and refuses every write unsent', async () => {
    const { adminApiKey: _admin, ...withoutAdmin } = config;
    const index = createAlgoliaIndex(withoutAdmin);
    fake.state.searchAnswer = answerWith(1, ['스타벅스']);
    await index.search({ query: '스타벅스', kinds: null, offset: 0, limit: 5, excludeAuthorIds: [] });
    await index.suggest('스타', 5, null);
    expect(summary()).toEqual(['POST /1/indexes/moim/query', 'POST /1/indexes/moim/query']);
    expect(apiKeys()).toEqual(new Set([config.searchApiKey]));

    fake.requests.length = 0;
    await expect(index.upsert([doc(1)])).rejects.toThrow(/ALGOLIA_ADMIN_API_KEY/);
    await expect(index.remove([{ kind: 'PLACE', id: 'p1' }])).rejects.toThrow(/only queries/);
    // The adapter's other writes exist only on the type with the admin key; at runtime they refuse too.
    const untyped = index as AlgoliaSearchIndex;
    await expect(untyped.applySettings()).rejects.toThrow(/ALGOLIA_ADMIN_API_KEY/);
    await expect(untyped.rebuildBeside()).rejects.toThrow(/ALGOLIA_ADMIN_API_KEY/);
    expect(fake.requests).toEqual([]);
  });
});

describe('upsert and remove', () => {
  it('saves 2,500 documents in three batches of at most 1,000 records, without waiting by default', async () => {
    const docs = Array.from({ length: 2500 }, (_, i) => doc(i));
    docs[0] = {
      kind: 'REVIEW',
      id: 'r-0',
      title: '스타벅스 강남역점 후기',
      body: '커피가 정말 맛있어요',
      authorId: 'u1',
      popularity: 2,
      likes: 5,
      createdAt: '2024-03-01T12:00:00.500Z',
    };
    await createAlgoliaIndex(config).upsert(docs);

    expect(summary()).toEqual(Array(3).fill('POST /1/indexes/moim/batch'));
    expect(apiKeys()).toEqual(new Set([config.adminApiKey]));
    const batches = fake.requests.map(
      (r) => r.body.requests as { action: string; body: Record<string, unknown> }[],
    );
    expect(batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(new Set(batches.flat().map((q) => q.action))).toEqual(new Set(['addObject']));
    expect(batches.flat().map((q) => q.body.objectID)).toEqual(docs.map((d) => `${d.kind}:${d.id}`));
    expect(batches[0]![0]!.body).toEqual({
      objectID: 'REVIEW:r-0',
      kind: 'REVIEW',
      id: 'r-0',
      title: '스타벅스 강남역점 후기',
      body: '커피가 정말 맛있어요',
      authorId: 'u1',
      popularity: 7,
      createdAtTs: 1709294400,
      titleChoseong: 'ㅅㅌㅂㅅ ㄱㄴㅇㅈ ㅎㄱ ㅅㅌㅂㅅㄱㄴㅇㅈㅎㄱ',
    });
    expect(batches[2]![499]!.body).toMatchObject({ objectID: 'PLACE:p2499', authorId: null, popularity: 3 });
  });

  it('waits for each batch task when asked to', async () => {
    await createAlgoliaIndex({ ...config, waitForTasks: true }).upsert([doc(1), doc(2)]);
    expect(summary()).toEqual(['POST /1/indexes/moim/batch', 'GET /1/indexes/moim/task/101']);
  });

  it('keeps a record under Algolia’s size limit by cutting a long body on a character boundary', async () => {
    await createAlgoliaIndex(config).upsert([doc(1, { body: '가'.repeat(5000) })]);
    const body = fake.requests[0]!.body.requests[0].body.body as string;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(8000);
    expect(body).toBe('가'.repeat(2666));
  });

  it('removes by objectID in batches of deleteObject actions', async () => {
    const keys = Array.from({ length: 1001 }, (_, i) => ({ kind: 'POST' as const, id: `post-${i}` }));
    await createAlgoliaIndex(config).remove(keys);

    expect(summary()).toEqual(Array(2).fill('POST /1/indexes/moim/batch'));
    const actions = fake.requests.flatMap((r) => r.body.requests);
    expect(actions[0]).toEqual({ action: 'deleteObject', body: { objectID: 'POST:post-0' } });
    expect(actions).toHaveLength(1001);
    expect(new Set(actions.map((a: { action: string }) => a.action))).toEqual(new Set(['deleteObject']));
  });

  it('sends nothing for nothing, and surfaces Algolia’s refusal without the admin key', async () => {
    const index = createAlgoliaIndex(config);
    await index.upsert([]);
    await index.remove([]);
    expect(fake.requests).toHaveLength(0);

    fake.state.failBatches = true;
    const error = await index.upsert([doc(1)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('too big');
    expect(JSON.stringify(error)).not.toContain(config.adminApiKey);
  });
});

/**
 * Algolia's answer: the attributes the request retrieves, and each hit's title and body with the
 * query words between the request's tags.
 */
function answerWith(nbHits: number, words: string[]): SearchAnswer {
  return (body) => {
    const pre = body.highlightPreTag as string;
    const post = body.highlightPostTag as string;
    const retrieved = body.attributesToRetrieve as string[];
    const mark = (text: string) => words.reduce((t, w) => t.replaceAll(w, `${pre}${w}${post}`), text);
    const records = [
      { kind: 'REVIEW', id: 'r1', title: '스타벅스 <신메뉴> 후기', body: '라떼가 "정말" 맛있고 & 조용해요' },
      { kind: 'POST', id: 'p:7', title: '오늘의 카페', body: '역 앞 스타벅스에서 공부' },
      { kind: 'REVIEW', id: 'r9', title: '조용한 곳', body: '와이파이 빠름' },
    ];
    return {
      nbHits,
      offset: body.offset,
      length: body.length,
      hits: records.map((r, i) => ({
        ...Object.fromEntries(Object.entries(r).filter(([name]) => retrieved.includes(name))),
        objectID: `${r.kind}:${r.id}`,
        _highlightResult: {
          title: {
            value: mark(r.title),
            matchLevel: mark(r.title) === r.title ? 'none' : 'full',
            matchedWords: words,
          },
        },
        _snippetResult: {
          body: { value: mark(r.body), matchLevel: mark(r.body) === r.body ? 'none' : 'partial' },
        },
        _rankingInfo: {
          nbTypos: 0,
          firstMatchedWord: 0,
          geoDistance: 0,
          nbExactWords: 1,
          userScore: 30 - i,
          words: 1,
        },
      })),
    };
  };
}

describe('search', () => {
  const request = {
    query: '  스타벅스   ＬＡＴＴＥ ㅋㅋㅋ 😀 ',
    kinds: ['REVIEW', 'POST'] as const,
    offset: 20,
    limit: 3,
    excludeAuthorIds: ['u-1', 'say "hi"\\'],
  };

  it('queries with the search-only key: normalised query, quoted filters, offset and length', async () => {
    fake.state.searchAnswer = answerWith(50, ['스타벅스']);
    await createAlgoliaIndex(config).search(request);

    expect(summary()).toEqual(['POST /1/indexes/moim/query']);
    expect(fake.requests[0]!.headers['x-algolia-api-key']).toBe(config.searchApiKey);
    expect(JSON.stringify(fake.requests[0])).not.toContain(config.adminApiKey);
    expect(fake.requests[0]!.body).toMatchObject({
      query: '스타벅스 latte',
      filters: '(kind:"REVIEW" OR kind:"POST") AND NOT authorId:"u-1" AND NOT authorId:"say \\"hi\\"\\\\"',
      offset: 20,
      length: 3,
      attributesToHighlight: ['title'],
      attributesToSnippet: ['body:20'],
    });
    expect(fake.requests[0]!.body).not.toHaveProperty('page');
  });

  it('maps hits to references with escaped <em> highlights and a score that falls with the rank', async () => {
    fake.state.searchAnswer = answerWith(50, ['스타벅스']);
    const page = await createAlgoliaIndex(config).search(request);

    expect(page.hasMore).toBe(true);
    expect(page.hits.map(({ kind, id }) => ({ kind, id }))).toEqual([
      { kind: 'REVIEW', id: 'r1' },
      { kind: 'POST', id: 'p:7' },
      { kind: 'REVIEW', id: 'r9' },
    ]);
    expect(page.hits[0]!.highlights).toEqual([
      { field: 'title', snippet: '<em>스타벅스</em> &lt;신메뉴&gt; 후기' },
    ]);
    expect(page.hits[1]!.highlights).toEqual([
      { field: 'body', snippet: '역 앞 <em>스타벅스</em>에서 공부' },
    ]);
    expect(page.hits[2]!.highlights).toEqual([]);
    const scores = page.hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(new Set(scores).size).toBe(3);
  });

  it('escapes the text around highlights in bodies too', async () => {
    fake.state.searchAnswer = answerWith(3, ['정말']);
    const page = await createAlgoliaIndex(config).search({ ...request, offset: 0 });
    expect(page.hits[0]!.highlights).toEqual([
      { field: 'body', snippet: '라떼가 &quot;<em>정말</em>&quot; 맛있고 &amp; 조용해요' },
    ]);
  });

  it('has no more when the page reaches nbHits or the search window', async () => {
    fake.state.searchAnswer = answerWith(23, ['스타벅스']);
    expect((await createAlgoliaIndex(config).search(request)).hasMore).toBe(false);

    fake.state.searchAnswer = answerWith(5000, ['스타벅스']);
    const last = await createAlgoliaIndex(config).search({ ...request, offset: 997 });
    expect(last.hasMore).toBe(false);
  });

  it('takes a host given as a URL, as ALGOLIA_HOST is', async () => {
    const { port } = fake.server.address() as AddressInfo;
    await createAlgoliaIndex({ ...config, hosts: [{ url: `http://127.0.0.1:${port}/` }] }).search(request);
    expect(summary()).toEqual(['POST /1/indexes/moim/query']);
  });

  it('sends no filters for all kinds and nobody excluded, and nothing for an empty query', async () => {
    fake.state.searchAnswer = answerWith(3, ['스타벅스']);
    const index = createAlgoliaIndex(config);
    await index.search({ ...request, kinds: null, excludeAuthorIds: [] });
    expect(fake.requests[0]!.body).not.toHaveProperty('filters');

    fake.requests.length = 0;
    expect(await index.search({ ...request, query: ' ㅋㅋㅋ \u3000 😀 ' })).toEqual({
      hits: [],
      hasMore: false,
    });
    expect(await index.search({ ...request, kinds: [] })).toEqual({ hits: [], hasMore: false });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('suggest', () => {
  it('asks for a prefix in titles and their initial consonants, limited and filtered', async () => {
    fake.state.searchAnswer = answerWith(3, []);
    const suggestions = await createAlgoliaIndex(config).suggest('ㅅㅌㅂ', 3, ['REVIEW', 'POST']);

    expect(fake.requests[0]!.headers['x-algolia-api-key']).toBe(config.searchApiKey);
    expect(fake.requests[0]!.body).toMatchObject({
      query: 'ㅅㅌㅂ',
      restrictSearchableAttributes: ['title', 'titleChoseong'],
      hitsPerPage: 3,
      filters: '(kind:"REVIEW" OR kind:"POST")',
    });
    expect(suggestions).toEqual([
      { kind: 'REVIEW', id: 'r1', text: '스타벅스 <신메뉴> 후기' },
      { kind: 'POST', id: 'p:7', text: '오늘의 카페' },
      { kind: 'REVIEW', id: 'r9', text: '조용한 곳' },
    ]);
  });

  it('maps hits to suggestions with the title as written', async () => {
    fake.state.searchAnswer = () => ({
      nbHits: 2,
      hits: [
        { objectID: 'PLACE:p1', kind: 'PLACE', id: 'p1', title: '스타벅스 강남역점' },
        { objectID: 'PLACE:p2', kind: 'PLACE', id: 'p2', title: 'Starbucks Reserve' },
      ],
    });
    expect(await createAlgoliaIndex(config).suggest('스타', 5, null)).toEqual([
      { kind: 'PLACE', id: 'p1', text: '스타벅스 강남역점' },
      { kind: 'PLACE', id: 'p2', text: 'Starbucks Reserve' },
    ]);
    expect(fake.requests[0]!.body).not.toHaveProperty('filters');
  });
});

describe('rebuildBeside', () => {
  it('fills a configured index beside the live one, then moves it onto the live name', async () => {
    const live = createAlgoliaIndex(config);
    const rebuild = await live.rebuildBeside();
    expect(rebuild.index.indexName).toBe('moim_rebuild');
    await rebuild.index.upsert([doc(1), doc(2)]);
    fake.state.searchAnswer = answerWith(1, ['스타벅스']);
    await live.search({ ...request(), offset: 0 });
    await rebuild.swap();

    expect(summary()).toEqual([
      'DELETE /1/indexes/moim_rebuild',
      'GET /1/indexes/moim_rebuild/task/101',
      'PUT /1/indexes/moim_rebuild/settings',
      'POST /1/indexes/moim_rebuild/synonyms/batch',
      'GET /1/indexes/moim_rebuild/task/102',
      'GET /1/indexes/moim_rebuild/task/103',
      'POST /1/indexes/moim_rebuild/batch',
      // Searches keep going to the live index while it fills.
      'POST /1/indexes/moim/query',
      'GET /1/indexes/moim_rebuild/task/104',
      'POST /1/indexes/moim_rebuild/operation',
      'GET /1/indexes/moim_rebuild/task/105',
    ]);
    expect(fake.requests[2]!.body).toEqual(ALGOLIA_SETTINGS);
    expect(fake.requests.find((r) => r.path.endsWith('/operation'))!.body).toEqual({
      operation: 'move',
      destination: 'moim',
    });
    await expect(rebuild.swap()).rejects.toThrow(/already moved/);
  });

  function request() {
    return { query: '스타벅스', kinds: null, offset: 0, limit: 10, excludeAuthorIds: [] };
  }
});

describe('titleChoseong', () => {
  it('keeps the initial consonants of Hangul words, and all of them run together', () => {
    expect(titleChoseong('스타벅스')).toBe('ㅅㅌㅂㅅ');
    expect(titleChoseong('스타벅스 강남역점')).toBe('ㅅㅌㅂㅅ ㄱㄴㅇㅈ ㅅㅌㅂㅅㄱㄴㅇㅈ');
    expect(titleChoseong('CS 225 자료구조')).toBe('ㅈㄹㄱㅈ');
    expect(titleChoseong('')).toBe('');
    expect(titleChoseong('Data Structures')).toBe('');
  });
});
