import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate, LIKE_RATING, timeSplit, type Report } from './evaluate';
import { trainItemKnn } from './item-knn';
import { trainModel } from './model';
import { readNsmcReviews } from './nsmc-file';
import { popularScores } from './popular';

// The whole protocol (train ≤ 2013-12-31, test 2014) on the committed sample (fixtures/README.md).
const rows = readNsmcReviews(
  fileURLToPath(new URL('./fixtures/nsmc-recommend-sample.tsv.gz', import.meta.url)),
);
const Y2014 = Date.UTC(2014, 0, 1);
const split = timeSplit(rows, Y2014, Date.UTC(2015, 0, 1));

describe('the evaluation harness on the NSMC sample', () => {
  it('reads the sample', () => {
    expect(rows).toHaveLength(20_000);
    expect(rows.every((r) => r.rating >= 1 && r.rating <= 10 && Number.isFinite(r.at))).toBe(true);
  });

  it('has as many test users as a direct count over the rows', () => {
    // Authors with a like ≤ 2013 and a like in 2014 of a movie they did not review ≤ 2013.
    const before = new Map<string, Set<string>>();
    const likedBefore = new Set<string>();
    for (const r of rows) {
      if (r.at >= Y2014) continue;
      before.set(r.author, (before.get(r.author) ?? new Set()).add(r.movie));
      if (r.rating >= LIKE_RATING) likedBefore.add(r.author);
    }
    const users = new Set<string>();
    for (const r of rows) {
      if (r.at >= Y2014 && r.rating >= LIKE_RATING && likedBefore.has(r.author)) {
        if (!before.get(r.author)!.has(r.movie)) users.add(r.author);
      }
    }
    expect(users.size).toBeGreaterThan(500);
    expect(split.testUsers).toHaveLength(users.size);
    expect(new Set(split.testUsers.map((t) => split.userIds[t.user]))).toEqual(users);
  });

  it('gives metrics in range, and the model at least what most-popular gets', () => {
    const pop = popularScores(split.train);
    const reports: Record<string, Report> = {
      popular: evaluate(split, () => pop),
      itemKnn: evaluate(split, trainItemKnn(split.train, 25, 100)),
      model: evaluate(split, trainModel(split.train).scores),
    };
    for (const r of Object.values(reports)) {
      expect(r.users).toBe(split.testUsers.length);
      for (const s of [r.precision, r.recall, r.ndcg]) {
        expect(s.mean).toBeGreaterThanOrEqual(0);
        expect(s.mean).toBeLessThanOrEqual(1);
        expect(s.se).toBeGreaterThanOrEqual(0);
      }
      expect(r.precision.mean).toBeLessThanOrEqual(r.recall.mean + 1e-12); // min(10, |rel|) ≤ 10
      expect(r.coverage).toBeGreaterThan(0);
      expect(r.coverage).toBeLessThanOrEqual(1);
    }
    expect(reports.model!.ndcg.mean).toBeGreaterThan(0);
    expect(reports.model!.ndcg.mean).toBeGreaterThanOrEqual(reports.popular!.ndcg.mean);
    // Most-popular shows everyone the same list (less their own reviews): it covers few items.
    expect(reports.popular!.coverage).toBeLessThan(reports.model!.coverage);
  });
});
