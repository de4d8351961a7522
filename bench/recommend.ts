/**
 * `npm run bench -- recommend [--train FILE] [--test FILE] [--sweep]`: the offline evaluation of
 * the popular tab's recommendation model (issue 22) on NSMC movie reviews — see bench/README.md.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import {
  evaluate,
  makeSplit,
  meanSe,
  timeSplit,
  type Report,
  type Review,
  type Scorer,
  type Split,
} from '../services/review/src/recommend/evaluate';
import { trainItemKnns } from '../services/review/src/recommend/item-knn';
import { DEFAULT_PARAMS, trainModel, type ModelParams } from '../services/review/src/recommend/model';
import { readNsmcReviews } from '../services/review/src/recommend/nsmc-file';
import { popularScores } from '../services/review/src/recommend/popular';

const DEFAULT_TRAIN = fileURLToPath(
  new URL('../../shared/datasets/nsmc-reviews/reviews-2003-2014.tsv.gz', import.meta.url),
);
const { values: args } = parseArgs({
  options: {
    train: { type: 'string', default: DEFAULT_TRAIN },
    test: { type: 'string' },
    // One-at-a-time sweep of the model's parameters around DEFAULT_PARAMS, on validation only.
    sweep: { type: 'boolean', default: false },
  },
});

const DAY = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const seconds = (ms: number) => (ms / 1000).toFixed(1);

// Item-kNN's grid, tuned on validation.
const KS = [10, 25, 50, 100, 200, 400];
const SHRINKS = [0, 10, 20, 50, 100, 200];

// (d) Variants of the production model: each changes DEFAULT_PARAMS as given.
const VARIANTS: [string, Partial<ModelParams>][] = [
  ['model: no trend prior (= item-kNN k50 s20)', { trendPower: 0, beta: 0 }],
  ['model: trend prior, no rising share (beta 0)', { beta: 0 }],
  ['model: rising share only (no trend)', { trendPower: 0 }],
  ['model: + weak signals in profile and sim (0.2)', { weak: 0.2, weakSim: 0.2 }],
  ['model: trend from likes only (weakTrend 0)', { weakTrend: 0 }],
  ['model: + history decay (tauUser 365 d)', { tauUser: 365 }],
  ['model: + co-visit gap decay (tauGap 365 d)', { tauGap: 365 }],
  ['model: + evidence age decay (tauSim 365 d)', { tauSim: 365 }],
  ['model: + IUF (1/log2(2+|v|))', { iuf: 1 }],
  ['trending only (blend 1e6: no CF)', { blend: 1e6 }],
];

// --sweep: one parameter at a time.
const SWEEP: Partial<ModelParams>[] = [
  { neighbours: 25 },
  { neighbours: 100 },
  { shrink: 10 },
  { shrink: 50 },
  { shrink: 100 },
  { tauTrend: 30 },
  { tauTrend: 120 },
  { trendPower: 0.7 },
  { trendPower: 1.5 },
  { beta: 0.4 },
  { beta: 0.7 },
  { trendFloor: 0.001 },
  { trendFloor: 0.05 },
  { weakTrend: 1 },
  { weak: 0.2 },
  { weakSim: 0.2 },
  { weak: -0.2 },
  { blend: 0.001 },
];

// ---- data and splits
let t = performance.now();
const trainRows = readNsmcReviews(args.train);
const testRows = args.test ? readNsmcReviews(args.test) : undefined;
const loadMs = performance.now() - t;

let test: Split;
let valEnd: number;
if (testRows) {
  test = makeSplit(trainRows, testRows);
  valEnd = test.train.now;
} else {
  valEnd = Date.UTC(2014, 0, 1);
  test = timeSplit(trainRows, valEnd, Date.UTC(2015, 0, 1));
}
// Validation: the last six calendar months of the training period.
const end = new Date(valEnd);
const valStart = Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 6, end.getUTCDate());
const val = timeSplit(
  trainRows.filter((r) => r.at < valEnd),
  valStart,
  valEnd,
);
const describe = (s: Split) =>
  `${s.train.interactions.length} training reviews, ${s.train.users} users, ${s.train.items} items, ` +
  `${s.testUsers.length} test users, ${s.testUsers.reduce((a, u) => a + u.relevantCount, 0)} relevant ` +
  `(${s.testUsers.reduce((a, u) => a + u.relevant.size, 0)} in the catalogue)`;
console.log(
  `node ${process.version}; ${trainRows.length} reviews in ${args.train}` +
    (testRows ? `, ${testRows.length} in ${args.test}` : '') +
    ` (read in ${seconds(loadMs)} s)`,
);
console.log(
  `validation (train < ${day(valStart)}, test ${day(valStart)}..${day(valEnd - DAY)}): ${describe(val)}`,
);
console.log(
  `test (${testRows ? `train all of --train, test ${args.test}` : 'train ≤ 2013-12-31, test 2014'}): ${describe(test)}`,
);

// ---- item-kNN tuned on validation
console.log('\nitem-kNN on validation, NDCG@10 (rows: neighbours k, columns: shrinkage)');
const grid = new Map<string, number>();
for (const shrink of SHRINKS) {
  const scorers = trainItemKnns(val.train, shrink, KS);
  KS.forEach((k, i) => grid.set(`${k}/${shrink}`, evaluate(val, scorers[i]!).ndcg.mean));
}
console.log(`${'k'.padStart(6)}${SHRINKS.map((s) => String(s).padStart(10)).join('')}`);
for (const k of KS) {
  console.log(
    `${String(k).padStart(6)}${SHRINKS.map((s) => grid.get(`${k}/${s}`)!.toFixed(5).padStart(10)).join('')}`,
  );
}
let best = { k: KS[0]!, shrink: SHRINKS[0]!, ndcg: -1 };
for (const k of KS) {
  for (const shrink of SHRINKS) {
    const ndcg = grid.get(`${k}/${shrink}`)!;
    if (ndcg > best.ndcg) best = { k, shrink, ndcg };
  }
}
console.log(`best: k=${best.k} shrink=${best.shrink} (validation NDCG@10 ${best.ndcg.toFixed(5)})`);

// ---- the rows
const HEAD = `${'ranker'.padEnd(50)} ${'P@10'.padStart(17)} ${'R@10'.padStart(17)} ${'NDCG@10'.padStart(17)} ${'cov'.padStart(6)} ${'×kNN'.padStart(6)}`;
const fmt = (name: string, r: Report, knn: number) =>
  `${name.padEnd(50)} ${[r.precision, r.recall, r.ndcg]
    .map((s) => `${s.mean.toFixed(5)}±${s.se.toFixed(5)}`.padStart(17))
    .join(
      ' ',
    )} ${r.coverage.toFixed(3).padStart(6)} ${(knn > 0 ? r.ndcg.mean / knn : 0).toFixed(2).padStart(6)}`;

function rows(split: Split, variants: [string, Partial<ModelParams>][]) {
  const out: { name: string; report: Report }[] = [];
  const pop = popularScores(split.train);
  out.push({ name: '(a) most-popular (training likes)', report: evaluate(split, () => pop) });
  const knn = trainItemKnns(split.train, best.shrink, [best.k])[0]!;
  out.push({ name: `(b) item-kNN k=${best.k} shrink=${best.shrink}`, report: evaluate(split, knn) });
  const start = performance.now();
  const model = trainModel(split.train);
  const trainMs = performance.now() - start;
  out.push({ name: '(c) production model (DEFAULT_PARAMS)', report: evaluate(split, model.scores) });
  for (const [name, change] of variants) {
    const m = trainModel(split.train, { ...DEFAULT_PARAMS, ...change });
    out.push({ name: `(d) ${name}`, report: evaluate(split, m.scores as Scorer) });
  }
  const knnNdcg = out[1]!.report.ndcg.mean;
  console.log(HEAD);
  for (const { name, report } of out) console.log(fmt(name, report, knnNdcg));
  // Same users, so the difference's standard error is that of the per-user differences.
  const diff = meanSe(out[2]!.report.ndcgs.map((x, i) => x - out[1]!.report.ndcgs[i]!));
  console.log(
    `paired NDCG@10 difference, production model − item-kNN: ${diff.mean.toFixed(5)} ± ${diff.se.toFixed(5)} ` +
      `(${(diff.mean / Math.max(diff.se, 1e-12)).toFixed(1)} standard errors)`,
  );
  return { out, model, trainMs };
}

console.log(`\nvalidation (${val.testUsers.length} users), mean ± standard error`);
rows(
  val,
  args.sweep
    ? [...VARIANTS, ...SWEEP.map((c): [string, Partial<ModelParams>] => [`sweep ${JSON.stringify(c)}`, c])]
    : VARIANTS,
);

console.log(`\ntest (${test.testUsers.length} users), mean ± standard error`);
const { out, model, trainMs } = rows(test, VARIANTS);
t = performance.now();
for (const u of test.testUsers) model.recommend(u.user, 10, u.exclude);
const scoreMs = performance.now() - t;
console.log(
  `production model on the test split's training data: trainModel ${seconds(trainMs)} s; ` +
    `recommend(user, 10) for the ${test.testUsers.length} test users ${seconds(scoreMs)} s ` +
    `(${((scoreMs / Math.max(1, test.testUsers.length)) * 1000).toFixed(0)} µs each)`,
);

// ---- the production model on every review of --train
const all: Review[] = trainRows;
const full = makeSplit(all, []);
t = performance.now();
trainModel(full.train);
const fullMs = performance.now() - t;
const rssMb = process.resourceUsage().maxRSS / 1024;
console.log(
  `production model on all ${all.length} reviews (${full.train.users} users, ${full.train.items} items): ` +
    `trainModel ${seconds(fullMs)} s; peak RSS of this process ${rssMb.toFixed(0)} MB`,
);
const ndcg = (i: number) => out[i]!.report.ndcg.mean.toPrecision(4);
console.log(
  `RESULT ndcg_model=${ndcg(2)} ndcg_itemknn=${ndcg(1)} ndcg_popular=${ndcg(0)} ` +
    `train_s=${(fullMs / 1000).toPrecision(3)} rss_mb=${rssMb.toFixed(0)}`,
);
