/**
 * The search bench's server: the search subgraph alone, on the embedded backend in a fresh data
 * folder, holding the whole NSMC file. Its table is filled first, then a generation bump makes
 * the running replica build its index from the table (as at start, or after a reindex) — the
 * time that takes is the cost of "rebuild from the tables at start". Prints one `BENCH {json}`
 * line (URL, rebuild seconds, documents, RSS), then serves until SIGTERM.
 *
 *   npx tsx bench/search-server.ts [file]
 */
import { createReadStream, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { createLogger, startService } from '@moim/kit';
import { openTestBackend, TEST_SECRET } from '@moim/kit/testing';
import { service, type SearchDeps } from '@moim/search';
import { DEFAULT_FILE } from './search-engine';

const file = process.argv[2] ?? DEFAULT_FILE;
const test = await openTestBackend('embedded');
const config = service.loadEnv({
  ...test.env,
  INTERNAL_SECRET: TEST_SECRET,
  // The embedded backend is refused in production (one process, no replicas): a bench is neither.
  NODE_ENV: 'development',
  LOG_LEVEL: 'warn',
  PORT: '0',
  SEARCH_POLL_MS: '100',
});
const search = await startService(service.define(config), config, {
  backend: test.backend,
  role: 'api',
  logger: createLogger('search', 'warn'),
});
const deps = search.deps as SearchDeps;
const stop = async () => {
  await search.stop();
  await test.cleanUp();
  if (test.env.DATA_DIR) rmSync(test.env.DATA_DIR, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

/** NSMC review ids as the UUIDs Moim's ids are (cursors carry them). */
const uuidOf = (reviewId: string) => `00000000-0000-4000-8000-${reviewId.padStart(12, '0')}`;

const COLUMNS =
  'doc_key, kind, id, title, body, author_id, popularity, created_at, findable, version, touched_at';
const ROWS = 500;
const now = new Date().toISOString().slice(0, 23).replace('T', ' ');
const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
const documents = await deps.db.transaction(async (manager) => {
  let count = 0;
  let batch: unknown[][] = [];
  const flush = async () => {
    if (!batch.length) return;
    const values = batch.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    await manager.query(`INSERT INTO search_documents (${COLUMNS}) VALUES ${values}`, batch.flat());
    batch = [];
  };
  let header = true;
  for await (const line of lines) {
    if (header) {
      header = false;
      continue;
    }
    const [reviewId, author, , rating, date, text] = line.split('\t');
    if (text === undefined) continue;
    const [yy, mm, dd] = date!.split('.');
    const id = uuidOf(reviewId!);
    batch.push([
      `REVIEW:${id}`,
      'REVIEW',
      id,
      '',
      text,
      author,
      Number(rating),
      `20${yy}-${mm}-${dd} 00:00:00.000`,
      1,
      0,
      now,
    ]);
    count++;
    if (batch.length === ROWS) await flush();
  }
  await flush();
  return count;
});

const started = Date.now();
await deps.db.dataSource.query("INSERT INTO search_state (name, value) VALUES ('generation', '1')");
const probe = () =>
  deps.index().search({ query: '영화', kinds: null, offset: 0, limit: 1, excludeAuthorIds: [] });
while ((await probe()).hits.length === 0) await new Promise((r) => setTimeout(r, 50));
const rebuildSeconds = (Date.now() - started) / 1000;
const url = await search.listen(0, '127.0.0.1');
console.log(
  `BENCH ${JSON.stringify({ url: `${url}/graphql`, documents, rebuildSeconds, pid: process.pid })}`,
);
setInterval(() => {}, 1 << 30);
