import type { SearchKind } from '@moim/events';
import { describe, expect, it } from 'vitest';
import { MAX_SEARCH_WINDOW, type IndexedDocument, type SearchRequest } from '../port';
import { EmbeddedSearchIndex } from '.';
import { SearchEngine } from './search-engine';

const doc = (id: string, body: string, extra: Partial<IndexedDocument> = {}): IndexedDocument => ({
  kind: 'REVIEW',
  id,
  title: '',
  body,
  authorId: `author-${id}`,
  popularity: 0,
  likes: 0,
  createdAt: '2024-01-01T00:00:00.000Z',
  ...extra,
});

const request = (query: string, extra: Partial<SearchRequest> = {}): SearchRequest => ({
  query,
  kinds: null,
  offset: 0,
  limit: 20,
  excludeAuthorIds: [],
  ...extra,
});

const ids = (engine: SearchEngine, query: string, extra: Partial<SearchRequest> = {}) =>
  engine.search(request(query, extra)).hits.map((h) => h.id);

describe('SearchEngine', () => {
  it('matches spaced and spaceless Korean both ways', () => {
    const engine = new SearchEngine();
    engine.upsert([
      doc('spaced', '정말 맛있어요'),
      doc('spaceless', '정말맛있어요'),
      doc('other', '별로예요'),
    ]);
    expect(ids(engine, '정말맛있어요').sort()).toEqual(['spaced', 'spaceless']);
    expect(ids(engine, '정말 맛있어요').sort()).toEqual(['spaced', 'spaceless']);
  });

  it('finds a word by its first syllables, and one syllable by words starting with it', () => {
    const engine = new SearchEngine();
    engine.upsert([doc('a', '재미있었는데요 다시 볼래요'), doc('b', '재미없다'), doc('c', '꿀잼 영화')]);
    expect(ids(engine, '재미있')[0]).toBe('a');
    expect(ids(engine, '꿀')).toEqual(['c']);
  });

  it('ranks documents matching every word above those matching some, whatever their popularity', () => {
    const engine = new SearchEngine();
    engine.upsert([
      doc('some', '배우 연기가 좋았다', {
        popularity: 10_000,
        likes: 500,
        createdAt: '2025-01-01T00:00:00Z',
      }),
      doc('all', '배우 연기 스토리 모두 좋았다', { popularity: 0, createdAt: '2010-01-01T00:00:00Z' }),
      doc('none', '음악이 좋았다'),
    ]);
    expect(ids(engine, '연기 스토리')).toEqual(['all', 'some']);
  });

  it('ranks by popularity and recency among equal matches, old content still found', () => {
    const engine = new SearchEngine();
    engine.upsert([
      doc('old', '감동적인 영화', { createdAt: '2005-01-01T00:00:00Z' }),
      doc('popular', '감동적인 영화', { popularity: 50, likes: 10 }),
      doc('plain', '감동적인 영화'),
    ]);
    expect(ids(engine, '감동적인')).toEqual(['popular', 'plain', 'old']);
  });

  it('tolerates typos in English words and matches the last word as a prefix', () => {
    const engine = new SearchEngine();
    engine.upsert([doc('s', 'Starbucks reserve coffee'), doc('t', 'tea house')]);
    expect(ids(engine, 'starbuks')).toEqual(['s']);
    expect(ids(engine, 'starb')).toEqual(['s']);
    expect(ids(engine, 'starb ')).toEqual([]);
    const page = engine.search(request('starbuks'));
    expect(page.hits[0]!.highlights).toEqual([
      { field: 'body', snippet: '<em>Starbucks</em> reserve coffee' },
    ]);
  });

  it('ranks the exact word above a typo match', () => {
    const engine = new SearchEngine();
    engine.upsert([
      doc('typo', 'the movie was great', { popularity: 1000 }),
      doc('exact', 'the moive was great'),
    ]);
    expect(ids(engine, 'moive')).toEqual(['exact', 'typo']);
  });

  it('expands synonyms, phrases included', () => {
    const engine = new SearchEngine({
      synonyms: [
        ['카페', '커피숍'],
        ['nyc', 'new york'],
      ],
    });
    engine.upsert([
      doc('cafe', '동네 카페 추천'),
      doc('shop', '조용한 커피숍'),
      doc('nyc', 'pizza in NYC'),
      doc('ny', 'pizza in new york'),
    ]);
    expect(ids(engine, '카페').sort()).toEqual(['cafe', 'shop']);
    expect(ids(engine, '커피숍').sort()).toEqual(['cafe', 'shop']);
    expect(ids(engine, 'nyc pizza').sort()).toEqual(['ny', 'nyc']);
    expect(ids(engine, 'new york').sort()).toEqual(['ny', 'nyc']);
  });

  it('finds titles by their initial consonants, spaces ignored', () => {
    const engine = new SearchEngine();
    engine.upsert([
      doc('sb', '', { kind: 'PLACE', title: '스타벅스 강남역점' }),
      doc('ms', '', { kind: 'PLACE', title: '메가커피 서울역점' }),
      doc('body', '스타벅스 강남역점 후기'),
    ]);
    expect(ids(engine, 'ㅅㅌㅂㅅ')).toEqual(['sb']);
    expect(ids(engine, 'ㄱㄴㅇ')).toEqual(['sb']);
    expect(ids(engine, 'ㅂㅅㄱㄴ')).toEqual(['sb']);
    expect(ids(engine, 'ㅅㅇㅇㅈ')).toEqual(['ms']);
    const hit = engine.search(request('ㄱㄴㅇ')).hits[0]!;
    expect(hit.highlights[0]).toEqual({ field: 'title', snippet: '스타벅스 <em>강남역</em>점' });
  });

  it('filters kinds and blocked authors inside the top-k: pages stay full', () => {
    const engine = new SearchEngine();
    const docs: IndexedDocument[] = [];
    for (let i = 0; i < 60; i++) {
      // The most relevant half is by a blocked author or of another kind.
      docs.push(doc(`blocked-${i}`, '영화 영화 영화', { authorId: 'blocked', popularity: 100 }));
      docs.push(doc(`post-${i}`, '영화 영화', { kind: 'POST', popularity: 100 }));
      docs.push(doc(`ok-${i}`, `좋은 영화 ${i}`));
    }
    engine.upsert(docs);
    const page = engine.search(
      request('영화', { kinds: ['REVIEW'], excludeAuthorIds: ['blocked'], limit: 25 }),
    );
    expect(page.hits).toHaveLength(25);
    expect(page.hits.every((h) => h.id.startsWith('ok-'))).toBe(true);
    expect(page.hasMore).toBe(true);
  });

  it('pages without overlap, and hasMore tells the truth', () => {
    const engine = new SearchEngine();
    engine.upsert(Array.from({ length: 45 }, (_, i) => doc(`d${i}`, `리뷰 ${'좋다 '.repeat(1 + (i % 5))}`)));
    const seen: string[] = [];
    for (let offset = 0; offset < 45; offset += 20) {
      const page = engine.search(request('리뷰', { offset, limit: 20 }));
      seen.push(...page.hits.map((h) => h.id));
      expect(page.hasMore).toBe(offset + 20 < 45);
    }
    expect(seen).toHaveLength(45);
    expect(new Set(seen).size).toBe(45);
    const scores = engine.search(request('리뷰', { limit: 45 })).hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(() => engine.search(request('리뷰', { offset: MAX_SEARCH_WINDOW, limit: 1 }))).toThrow(RangeError);
  });

  it('replaces on upsert and forgets on remove, also inside merged segments', () => {
    const engine = new SearchEngine();
    engine.upsert(Array.from({ length: 300 }, (_, i) => doc(`d${i}`, `평범한 리뷰 ${i}`)));
    for (let i = 0; i < 300; i += 3) engine.upsert([doc(`d${i}`, `바뀐 내용 ${i}`)]);
    for (let i = 1; i < 300; i += 3) engine.remove([{ kind: 'REVIEW', id: `d${i}` }]);
    engine.remove([{ kind: 'REVIEW', id: 'unknown' }]);
    const rest = engine.search(request('평범한', { limit: 200 })).hits.map((h) => h.id);
    expect(rest.sort()).toEqual(Array.from({ length: 100 }, (_, k) => `d${3 * k + 2}`).sort());
    expect(ids(engine, '바뀐', { limit: 200 })).toHaveLength(100);
    expect(engine.size).toBe(200);
  });

  it('highlights matches and escapes the rest; long bodies give a window', () => {
    const engine = new SearchEngine();
    const long = `${'가나다라마바사 '.repeat(30)}<b>정말 재밌는</b> 영화 & "추천" ${'아자차카 '.repeat(30)}`;
    engine.upsert([doc('x', '이 영화 <script>alert(1)</script> & "최고"'), doc('long', long)]);
    const [hit] = engine.search(request('최고')).hits;
    expect(hit!.highlights).toEqual([
      {
        field: 'body',
        snippet: '이 영화 &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;<em>최고</em>&quot;',
      },
    ]);
    const snippet = engine.search(request('정말 재밌는')).hits[0]!.highlights[0]!.snippet;
    expect(snippet).toContain('&lt;b&gt;<em>정말 재밌는</em>&lt;/b&gt;');
    expect(snippet.startsWith('…')).toBe(true);
    expect(snippet.endsWith('…')).toBe(true);
    expect(snippet.length).toBeLessThan(160);
  });

  it('suggests titles by prefix, word prefix or initial consonants, most popular first', () => {
    const engine = new SearchEngine();
    engine.upsert([
      doc('1', '', { kind: 'PLACE', title: '스타벅스 강남역점', popularity: 10 }),
      doc('2', '', { kind: 'PLACE', title: '스타벅스 역삼점', popularity: 50 }),
      doc('3', '', { kind: 'PRODUCT', title: '스타 워즈 레고', popularity: 99 }),
      doc('4', '', { kind: 'PLACE', title: '메가커피 강남점', popularity: 5 }),
    ]);
    const texts = (prefix: string, kinds: SearchKind[] | null = null) =>
      engine.suggest(prefix, 10, kinds).map((s) => s.text);
    expect(texts('스타')).toEqual(['스타 워즈 레고', '스타벅스 역삼점', '스타벅스 강남역점']);
    expect(texts('스타', ['PLACE'])).toEqual(['스타벅스 역삼점', '스타벅스 강남역점']);
    expect(texts('강남')).toEqual(['스타벅스 강남역점', '메가커피 강남점']);
    expect(texts('ㅅㅌㅂ')).toEqual(['스타벅스 역삼점', '스타벅스 강남역점']);
    expect(texts('ㄱㄴ')).toEqual(['스타벅스 강남역점', '메가커피 강남점']);
    engine.remove([{ kind: 'PRODUCT', id: '3' }]);
    expect(texts('스타')).toEqual(['스타벅스 역삼점', '스타벅스 강남역점']);
  });

  it('returns the same first page however deep the window (the walks stop early, the results do not change)', () => {
    const engine = new SearchEngine({ synonyms: [['영화', '무비']] });
    const words = [
      '영화',
      '정말',
      '재미있는',
      '배우',
      '연기',
      '최고',
      '무비',
      '스토리',
      '이',
      '수',
      'good',
      'movie',
    ];
    let seed = 3;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const docs: IndexedDocument[] = [];
    for (let i = 0; i < 3000; i++) {
      const n = 1 + Math.floor(random() * random() * 40);
      const body = Array.from(
        { length: n },
        () => words[Math.floor(random() * random() * words.length)],
      ).join(random() < 0.3 ? '' : ' ');
      const year = 2005 + Math.floor(random() * 20);
      docs.push(
        doc(`r${i}`, body, {
          title: i % 10 === 0 ? words[i % words.length]! : '',
          popularity: Math.floor(random() * 10),
          createdAt: `${year}-0${1 + Math.floor(random() * 9)}-01T00:00:00Z`,
        }),
      );
    }
    // In several batches: several segments, then replacements and removals.
    for (let i = 0; i < docs.length; i += 400) engine.upsert(docs.slice(i, i + 400));
    for (let i = 0; i < 300; i++)
      engine.upsert([{ ...docs[i * 7]!, body: `${docs[i * 7]!.body} 영화 최고`, likes: i }]);
    for (let i = 0; i < 100; i++) engine.remove([{ kind: 'REVIEW', id: `r${i * 11}` }]);
    const queries = [
      '영화',
      '이 영화',
      '정말 재미있는',
      '재미있',
      '배우 연기',
      '영화최고',
      '이',
      'movi',
      'good movie',
      '스토리 배우 연기',
    ];
    for (const query of queries) {
      const deep = engine.search(request(query, { limit: 1000 })).hits;
      for (const [offset, limit] of [
        [0, 20],
        [0, 1],
        [20, 20],
        [500, 30],
      ] as const) {
        const page = engine.search(request(query, { offset, limit }));
        expect(page.hits.map((h) => [h.id, h.score])).toEqual(
          deep.slice(offset, offset + limit).map((h) => [h.id, h.score]),
        );
      }
    }
  });

  it('cuts segments at 65,536 documents and searches across them', () => {
    const engine = new SearchEngine();
    engine.upsert(
      Array.from({ length: 70_000 }, (_, i) => doc(`d${i}`, i % 1000 === 0 ? `희귀한 단어 ${i}` : '흔한 말')),
    );
    expect(engine.stats().segments).toBeGreaterThanOrEqual(2);
    expect(ids(engine, '희귀한', { limit: 100 }).sort()).toEqual(
      Array.from({ length: 70 }, (_, k) => `d${k * 1000}`).sort(),
    );
    engine.upsert([doc('d69000', '바뀐 말')]);
    expect(ids(engine, '바뀐')).toEqual(['d69000']);
    expect(engine.size).toBe(70_000);
  });

  it('keeps the texts of documents rewritten many times', () => {
    const engine = new SearchEngine();
    // ~1.3 MB of text a round: chunks of the text store go half dead and are rewritten.
    const rounds = ['첫째', '둘째', '셋째', '넷째', '다섯째'];
    for (const round of rounds) {
      engine.upsert(
        Array.from({ length: 1000 }, (_, i) => doc(`d${i}`, `${round} ${'긴 본문 '.repeat(60)} 끝${i}`)),
      );
    }
    const hit = engine.search(request('끝7')).hits.find((h) => h.id === 'd7')!;
    expect(hit.highlights[0]!.snippet).toContain('<em>끝7</em>');
    expect(hit.highlights[0]!.snippet).not.toContain('넷째');
    expect(engine.search(request('다섯째', { limit: 1000 })).hits).toHaveLength(1000);
    expect(engine.search(request('셋째')).hits).toEqual([]);
    expect(engine.size).toBe(1000);
  });

  it('finds nothing for decoration alone', () => {
    const engine = new SearchEngine();
    engine.upsert([doc('a', 'ㅋㅋㅋ 웃기다')]);
    expect(engine.search(request('ㅋㅋㅋ')).hits).toEqual([]);
  });
});

describe('EmbeddedSearchIndex', () => {
  it('serves the port', async () => {
    const index = new EmbeddedSearchIndex();
    await index.upsert([doc('a', '맛집 추천')]);
    expect((await index.search(request('맛집'))).hits.map((h) => h.id)).toEqual(['a']);
    await index.remove([{ kind: 'REVIEW', id: 'a' }]);
    expect((await index.search(request('맛집'))).hits).toEqual([]);
  });
});
