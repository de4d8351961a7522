/**
 * `npm run bench -- popular [--backend embedded|servers] [--limit N] [--viewers N]`: one full
 * refresh of the popular tab (services/review/src/domain/popular-refresh.ts) at NSMC's scale — the
 * 575k reviews as review rows (movies as products, ratings 1–10 as 1–5 stars), on the chosen kit
 * backend — timed by phase: reading, training, building the lists, writing them; with the rows
 * written and the process's peak RSS.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startService, type BackendKind } from '@moim/kit';
import { openTestBackend, testEnv } from '@moim/kit/testing';
import { service, type ReviewService } from '../services/review/src';
import { refreshPopular } from '../services/review/src/domain/popular-refresh';
import { readNsmcReviews } from '../services/review/src/recommend/nsmc-file';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'embedded' },
    file: {
      type: 'string',
      default: fileURLToPath(
        new URL('../../shared/datasets/nsmc-reviews/reviews-2003-2014.tsv.gz', import.meta.url),
      ),
    },
    limit: { type: 'string' },
    // POPULAR_MAX_VIEWERS (the service's default when not given).
    viewers: { type: 'string' },
  },
});
const backendKind = args.backend as BackendKind;
const rows = readNsmcReviews(args.file!).slice(0, args.limit ? Number(args.limit) : undefined);
console.log(`${rows.length} NSMC reviews from ${args.file}; backend ${backendKind}`);

const test = await openTestBackend(backendKind);
let review: ReviewService | undefined;
try {
  const config = service.loadEnv(
    testEnv({
      ...test.env,
      DATABASE_URL: await test.databaseUrl('review_bench'),
      ...(args.viewers ? { POPULAR_MAX_VIEWERS: args.viewers } : {}),
    }),
  );
  review = await startService(service.define(config), config, { backend: test.backend, role: 'api' });
  const ds = review.deps.db.dataSource;

  const loadStarted = performance.now();
  const products = new Map<string, string>();
  const authors = new Map<string, string>();
  const idOf = (map: Map<string, string>, key: string) => {
    let id = map.get(key);
    if (!id) map.set(key, (id = randomUUID()));
    return id;
  };
  const reviewRows = rows.map((r) => [
    randomUUID(),
    idOf(authors, r.author),
    idOf(products, r.movie),
    Math.max(1, Math.round(r.rating / 2)),
    new Date(r.at),
  ]);
  const insert = async (table: string, columns: string[], values: unknown[][]) => {
    for (let i = 0; i < values.length; i += 500) {
      const chunk = values.slice(i, i + 500);
      await ds.query(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ')}`,
        chunk
          .flat()
          .map((v) =>
            v instanceof Date && backendKind === 'embedded'
              ? v.toISOString().replace('T', ' ').replace('Z', '')
              : v,
          ),
      );
    }
  };
  const now = new Date();
  await insert(
    'products',
    ['id', 'name', 'category', 'created_by', 'created_at'],
    [...products].map(([movie, id]) => [id, `movie ${movie}`, 'movie', id, now]),
  );
  await insert(
    'reviews',
    ['id', 'kind', 'body', 'rating', 'product_id', 'author_id', 'hidden', 'created_at', 'updated_at'],
    reviewRows.map(([id, author, product, rating, at]) => [
      id,
      'SOSOLOG',
      '-',
      rating,
      product,
      author,
      false,
      at,
      at,
    ]),
  );
  console.log(
    `loaded ${reviewRows.length} reviews of ${products.size} products by ${authors.size} users in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`,
  );

  // The refresh as the worker runs it: "now" just after the data ends, as for a live service.
  const end = rows.reduce((latest, r) => Math.max(latest, r.at), 0) + 86_400_000;
  const before = Math.round(process.memoryUsage().rss / 1048576);
  const summary = await refreshPopular(review.deps, new Date(end));
  const rss = Math.round(process.resourceUsage().maxRSS / 1024);
  console.log(summary);
  console.log(
    `RSS before the refresh ${before} MB (the dataset, its rows and, embedded, SQLite in this process)`,
  );
  console.log(
    `RESULT refresh_s=${(summary.totalMs / 1000).toFixed(1)} train_s=${(summary.trainMs / 1000).toFixed(1)} viewers=${summary.viewers} rows=${summary.rows} rss_mb=${rss}`,
  );
} finally {
  await review?.stop();
  await test.cleanUp();
}
