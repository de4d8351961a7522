/**
 * The embedded search engine on real Korean text: the NSMC movie reviews (574,798 reviews of at
 * most 140 characters, `<datasets>/nsmc-reviews/reviews-2003-2014.tsv.gz`) bulk-indexed, plus a
 * few thousand synthetic place titles (`스타벅스 강남역점`) for initial-consonant search and
 * suggestions, then a fixed query set, warmed up, several passes: the corpus's ten most frequent
 * words (the longest lists), frequent two-word phrases spaced and spaceless, word prefixes,
 * single syllables, initial consonants, misspelled English words, filtered and deep pages,
 * suggestions, and searches after a stream of single upserts and removals.
 *
 *   npx tsx bench/search-engine.ts [--file PATH] [--limit N] [--passes 5] [--warmup 3]
 *
 * `runEngineBench` returns the numbers for `bench/search.ts`, which adds the gateway.
 */
import { createReadStream } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { normalize } from '../services/search/src/normalize';
import type { IndexedDocument, SearchRequest } from '../services/search/src/port';
import { SearchEngine } from '../services/search/src/engine';
import { percentile } from './stats';

export const DEFAULT_FILE = new URL(
  '../../shared/datasets/nsmc-reviews/reviews-2003-2014.tsv.gz',
  import.meta.url,
).pathname;

export interface EngineBenchOptions {
  file?: string;
  /** Reviews indexed at most (all by default). */
  limit?: number;
  /** Timed passes over the query set. */
  passes?: number;
  /**
   * Untimed passes first (3 by default): after one, the JIT is still re-optimising code that met
   * new paths (new kinds of query) and the first timed passes carry its deoptimisations.
   */
  warmup?: number;
  log?: (line: string) => void;
}

export interface QueryClassResult {
  name: string;
  queries: string[];
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Mean hits on the first page. */
  hits: number;
}

export interface EngineBenchResult {
  reviews: number;
  places: number;
  indexSeconds: number;
  docsPerSecond: number;
  segments: number;
  postings: number;
  terms: number;
  classes: QueryClassResult[];
  overall: { samples: number; p50: number; p95: number; p99: number };
  /** Single-document upserts and removals interleaved with searches. */
  updates: { samples: number; p50: number; p99: number };
  peakRssMb: number;
}

/** What the query set is drawn from, counted in a first reading of the file (not timed). */
interface Corpus {
  reviews: number;
  /** One review in a hundred, kept for the updates phase. */
  sample: IndexedDocument[];
  words: Map<string, number>;
  pairs: Map<string, number>;
  english: Map<string, number>;
  authors: Map<string, number>;
}

const HANGUL_WORD = /^[가-힣]+$/;

const BATCH = 10_000;

/**
 * A copy of a string that holds nothing else: what `split` and `readline` return are slices that
 * keep their whole line and chunk alive, which kept here would make the bench hold the file.
 */
const flat = (s: string): string => (s.length < 13 ? s : Buffer.from(s, 'utf16le').toString('utf16le'));

/** The file's reviews as documents, one at a time. */
async function* reviewsOf(file: string, limit: number): AsyncGenerator<IndexedDocument> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  let header = true;
  let n = 0;
  for await (const line of lines) {
    if (header) {
      header = false;
      continue;
    }
    if (n >= limit) break;
    const cols = line.split('\t');
    if (cols.length < 6) continue;
    const [id, author, , rating, date, text] = cols as [string, string, string, string, string, string];
    const [yy, mm, dd] = date.split('.');
    n++;
    yield {
      kind: 'REVIEW',
      id,
      title: '',
      body: text,
      authorId: author,
      popularity: Number(rating),
      likes: 0,
      createdAt: `20${yy}-${mm}-${dd}T00:00:00.000Z`,
    };
  }
  lines.close();
}

/**
 * The first reading: words of one or two characters (the most frequent ones) are counted in
 * every review; longer words, phrases and authors in one review of eight: the same top tens
 * without maps of millions of entries. Done before the engine exists, and dropped once the query
 * set is drawn, so that the peak RSS measured is the engine's and the reading's, not the
 * bench's counting.
 */
async function countCorpus(file: string, limit: number): Promise<Corpus> {
  const corpus: Corpus = {
    reviews: 0,
    sample: [],
    words: new Map(),
    pairs: new Map(),
    english: new Map(),
    authors: new Map(),
  };
  const count = (m: Map<string, number>, k: string) => {
    const n = m.get(k);
    m.set(n === undefined ? flat(k) : k, (n ?? 0) + 1);
  };
  for await (const doc of reviewsOf(file, limit)) {
    if (corpus.reviews % 100 === 0) {
      corpus.sample.push({ ...doc, id: flat(doc.id), body: flat(doc.body), authorId: flat(doc.authorId!) });
    }
    const sampled = corpus.reviews++ % 8 === 0;
    if (sampled) count(corpus.authors, doc.authorId!);
    const ws = normalize(doc.body).split(' ');
    for (let i = 0; i < ws.length; i++) {
      const w = ws[i]!;
      if (w === '') continue;
      if (w.length <= 2 || sampled) count(corpus.words, w);
      if (/^[a-z]{5,}$/.test(w)) count(corpus.english, w);
      const next = ws[i + 1];
      if (sampled && next !== undefined && HANGUL_WORD.test(w) && HANGUL_WORD.test(next)) {
        count(corpus.pairs, `${w} ${next}`);
      }
    }
  }
  return corpus;
}

/**
 * The second reading: the reviews streamed to `index` in batches of 10,000 as the file is read,
 * neither the whole text nor every document held at once. Returns how many.
 */
async function indexCorpus(
  file: string,
  limit: number,
  index: (batch: IndexedDocument[]) => void,
): Promise<number> {
  let batch: IndexedDocument[] = [];
  let n = 0;
  for await (const doc of reviewsOf(file, limit)) {
    batch.push(doc);
    n++;
    if (batch.length === BATCH) {
      index(batch);
      batch = [];
    }
  }
  if (batch.length > 0) index(batch);
  return n;
}

// prettier-ignore
const BRANDS = [
  '스타벅스', '투썸플레이스', '이디야커피', '메가커피', '빽다방', '폴바셋', '할리스', '커피빈', '파스쿠찌', '엔제리너스',
  '맥도날드', '버거킹', '롯데리아', '맘스터치', '서브웨이', '파리바게뜨', '뚜레쥬르', '배스킨라빈스', '던킨', '교촌치킨',
  'BBQ', '굽네치킨', '본죽', '김밥천국', '이마트', '올리브영', '다이소', 'CGV', '메가박스', '롯데시네마',
];
// prettier-ignore
const BRANCHES = [
  '강남역', '역삼', '선릉', '삼성', '잠실', '홍대입구', '신촌', '합정', '여의도', '광화문', '종로', '명동', '을지로', '서울역',
  '용산', '이태원', '건대입구', '성수', '왕십리', '노원', '수유', '목동', '신림', '사당', '교대', '판교', '분당', '수원역',
  '인천공항', '부산서면', '해운대', '대구동성로', '대전둔산', '광주상무', '전주한옥마을', '제주공항',
];
const SUFFIXES = ['점', 'DT점', '2호점', '타워점', '사거리점'];

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function placeDocuments(): IndexedDocument[] {
  const rnd = random(7);
  const out: IndexedDocument[] = [];
  for (const brand of BRANDS) {
    for (const branch of BRANCHES) {
      for (const suffix of SUFFIXES) {
        if (rnd() < 0.45) continue;
        out.push({
          kind: 'PLACE',
          id: `place-${out.length}`,
          title: `${brand} ${branch}${suffix}`,
          body: `서울특별시 ${branch} ${Math.floor(rnd() * 300)}`,
          authorId: null,
          popularity: Math.floor(rnd() * 500),
          likes: 0,
          createdAt: new Date(Date.UTC(2015, 0, 1) + rnd() * 3e11).toISOString(),
        });
      }
    }
  }
  return out;
}

/** The query set, drawn from the corpus itself. */
function querySet({ words, pairs, english, authors }: Corpus): { name: string; requests: SearchRequest[] }[] {
  const top = (m: Map<string, number>, n: number, keep: (k: string) => boolean = () => true) =>
    [...m]
      .filter(([k]) => keep(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k]) => k);
  const frequent = top(words, 10);
  const phrases = top(pairs, 10);
  const prefixes = [
    ...new Set(top(words, 40, (w) => /^[가-힣]{4,}$/.test(w)).map((w) => w.slice(0, 3))),
  ].slice(0, 10);
  const prolific = top(authors, 50);
  // Misspelled: one letter dropped (or two swapped) in the corpus's frequent English words.
  const misspelled = top(english, 10).map((w, i) =>
    i % 2 === 0 ? w.slice(0, 2) + w.slice(3) : w.slice(0, 2) + w[3] + w[2] + w.slice(4),
  );
  const req = (query: string, extra: Partial<SearchRequest> = {}): SearchRequest => ({
    query,
    kinds: null,
    offset: 0,
    limit: 20,
    excludeAuthorIds: [],
    ...extra,
  });
  return [
    { name: 'frequent word', requests: frequent.map((q) => req(q)) },
    { name: 'two words', requests: phrases.map((q) => req(q)) },
    { name: 'spaceless phrase', requests: phrases.map((q) => req(q.replaceAll(' ', ''))) },
    { name: 'prefix', requests: prefixes.map((q) => req(q)) },
    {
      name: 'one syllable',
      requests: ['꿀', '헐', '왜', '최', '별', '굿', '짱', '흠', '음', '와'].map((q) => req(q)),
    },
    {
      name: 'choseong',
      requests: [
        'ㅅㅌㅂㅅ',
        'ㄱㄴㅇ',
        'ㅁㄱㅋㅍ',
        'ㅎㄷㅇㄱ',
        'ㅇㄷㅇ',
        'ㅂㄱㅋ',
        'ㄱㄴ',
        'ㅅㅅ',
        'ㅍㅂ',
        'ㄷㅇㅅ ㅅㄹ',
      ].map((q) => req(q)),
    },
    { name: 'typo (English)', requests: misspelled.map((q) => req(q)) },
    {
      name: 'filtered, deep',
      requests: frequent
        .slice(0, 5)
        .flatMap((q) => [
          req(q, { kinds: ['REVIEW'], excludeAuthorIds: prolific }),
          req(q, { offset: 980, limit: 20 }),
        ]),
    },
    {
      name: 'mixed',
      requests: ['영화 최고', '스타벅스 강남', 'cgv 영화', '정말 재밌는 영화', '배우들 연기'].map((q) =>
        req(q),
      ),
    },
  ];
}

function summarise(name: string, queries: string[], samples: number[], hits: number[]): QueryClassResult {
  const sorted = [...samples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    name,
    queries,
    samples: samples.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    hits: round(hits.reduce((a, b) => a + b, 0) / Math.max(hits.length, 1)),
  };
}

export async function runEngineBench(options: EngineBenchOptions = {}): Promise<EngineBenchResult> {
  const log = options.log ?? (() => {});
  const passes = options.passes ?? 5;
  const warmup = options.warmup ?? 3;
  const file = options.file ?? DEFAULT_FILE;
  const limit = options.limit ?? Infinity;
  const corpus = await countCorpus(file, limit);
  const classes = querySet(corpus);
  const sample = corpus.sample;
  corpus.words.clear();
  corpus.pairs.clear();
  corpus.english.clear();
  corpus.authors.clear();

  const engine = new SearchEngine({
    synonyms: [
      ['카페', '커피숍', '커피전문점'],
      ['영화관', '극장', '시네마'],
    ],
  });
  // Only the engine's work is timed: upserts as the batches arrive, and the last segment's build.
  let indexMs = 0;
  const timed = (work: () => void) => {
    const t = performance.now();
    work();
    indexMs += performance.now() - t;
  };
  const reviews = await indexCorpus(file, limit, (batch) => timed(() => engine.upsert(batch)));
  timed(() => engine.flush());
  const indexSeconds = indexMs / 1000;
  const places = placeDocuments();
  engine.upsert(places);
  log(`${reviews} reviews and ${places.length} synthetic places`);
  const stats = engine.stats();
  log(
    `indexed in ${indexSeconds.toFixed(2)} s: ${stats.segments} segments, ${stats.postings} postings, ${stats.terms} terms`,
  );
  const memory = process.memoryUsage();
  const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
  log(
    `memory after indexing: RSS ${mb(memory.rss)} MB (peak ${mb(process.resourceUsage().maxRSS * 1024)}), ` +
      `JS heap ${mb(memory.heapUsed)} MB, typed arrays ${mb(memory.arrayBuffers)} MB`,
  );

  const suggestPrefixes = ['스타', 'ㅅㅌ', '메가', 'ㅁㄱ', '강남', 'ㄱㄴ', '롯데', 'cg', '파리', 'ㅍㄹ'];
  const samples = new Map<string, number[]>();
  const hits = new Map<string, number[]>();
  const record = (name: string, ms: number, n: number) => {
    let s = samples.get(name);
    let h = hits.get(name);
    if (s === undefined || h === undefined) {
      samples.set(name, (s = []));
      hits.set(name, (h = []));
    }
    s.push(ms);
    h.push(n);
  };
  for (let pass = 1 - warmup; pass <= passes; pass++) {
    const timed = pass > 0;
    for (const { name, requests } of classes) {
      for (const request of requests) {
        const t = performance.now();
        const page = engine.search(request);
        const ms = performance.now() - t;
        if (timed) record(name, ms, page.hits.length);
      }
    }
    for (const prefix of suggestPrefixes) {
      const t = performance.now();
      const found = engine.suggest(prefix, 10, null);
      const ms = performance.now() - t;
      if (timed) record('suggest', ms, found.length);
    }
  }

  // Updates interleaved with searches: each review of a sample rewritten or removed, one call at a time.
  const rnd = random(11);
  const updateSamples: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const doc = sample[Math.floor(rnd() * sample.length)]!;
    const t = performance.now();
    if (i % 4 === 3) engine.remove([{ kind: doc.kind, id: doc.id }]);
    else engine.upsert([{ ...doc, body: `${doc.body} 다시 봐도 좋은 영화`, likes: i }]);
    updateSamples.push(performance.now() - t);
    const request = classes[i % classes.length]!.requests[i % 5]!;
    const s = performance.now();
    const page = engine.search(request);
    record('after updates', performance.now() - s, page.hits.length);
  }

  const results = [...classes.map((c) => c.name), 'suggest', 'after updates'].map((name) =>
    summarise(
      name,
      name === 'suggest'
        ? suggestPrefixes
        : name === 'after updates'
          ? []
          : classes.find((c) => c.name === name)!.requests.map((r) => r.query),
      samples.get(name) ?? [],
      hits.get(name) ?? [],
    ),
  );
  const all = [...samples.values()].flat().sort((a, b) => a - b);
  const updates = [...updateSamples].sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    reviews,
    places: places.length,
    indexSeconds: round(indexSeconds),
    docsPerSecond: Math.round(reviews / indexSeconds),
    segments: stats.segments,
    postings: stats.postings,
    terms: stats.terms,
    classes: results,
    overall: {
      samples: all.length,
      p50: round(percentile(all, 50)),
      p95: round(percentile(all, 95)),
      p99: round(percentile(all, 99)),
    },
    updates: {
      samples: updates.length,
      p50: round(percentile(updates, 50)),
      p99: round(percentile(updates, 99)),
    },
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

/** The engine's table and totals, as the bench prints them (bench/search.ts prints them too). */
export function printEngineResult(result: EngineBenchResult): void {
  console.table(
    result.classes.map(({ name, samples, p50, p95, p99, max, hits }) => ({
      class: name,
      samples,
      'p50 ms': p50,
      'p95 ms': p95,
      'p99 ms': p99,
      'max ms': max,
      hits,
    })),
  );
  for (const c of result.classes)
    if (c.queries.length > 0) console.log(`${c.name}: ${c.queries.join(' | ')}`);
  console.log(
    `${result.reviews} reviews indexed in ${result.indexSeconds} s: ${result.docsPerSecond} docs/s ` +
      `(${result.segments} segments, ${result.postings} postings, ${result.terms} terms)`,
  );
  console.log(
    `all searches: p50 ${result.overall.p50} ms, p95 ${result.overall.p95} ms, p99 ${result.overall.p99} ms`,
  );
  console.log(`single upsert/remove: p50 ${result.updates.p50} ms, p99 ${result.updates.p99} ms`);
  console.log(`peak RSS ${result.peakRssMb} MB`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      file: { type: 'string', default: DEFAULT_FILE },
      limit: { type: 'string' },
      passes: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '3' },
    },
  });
  console.log(`node ${process.version}, ${cpus().length} CPUs`);
  const result = await runEngineBench({
    file: values.file,
    limit: values.limit === undefined ? undefined : Number(values.limit),
    passes: Number(values.passes),
    warmup: Number(values.warmup),
    log: (line) => console.log(line),
  });
  printEngineResult(result);
}
