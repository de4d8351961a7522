import { describe, expect, it } from 'vitest';
import { evaluate, makeSplit, meanSe, topK, userMetrics, type Review } from './evaluate';

const l2 = Math.log2;
const none = new Set<number>();

describe('userMetrics (k = 3 unless said)', () => {
  it('precision, recall and NDCG without ties', () => {
    // Ranking 0 1 2 | 3 4 5; relevant 1 and 3: one hit, at rank 1 (0-based).
    const m = userMetrics([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], none, new Set([1, 3]), 2, 3);
    expect(m.top).toEqual([0, 1, 2]);
    expect(m.precision).toBeCloseTo(1 / 3, 12);
    expect(m.recall).toBeCloseTo(1 / 2, 12); // denominator min(3, 2)
    expect(m.ndcg).toBeCloseTo(1 / l2(3) / (1 + 1 / l2(3)), 12); // 0.386853
    expect(m.ndcg).toBeCloseTo(0.386853, 6);
  });

  it('never ranks an excluded item', () => {
    // Without item 0: 1 2 3 — hits at ranks 0 and 2.
    const m = userMetrics([0.9, 0.8, 0.7, 0.6, 0.5, 0.4], new Set([0]), new Set([1, 3]), 2, 3);
    expect(m.top).toEqual([1, 2, 3]);
    expect(m.precision).toBeCloseTo(2 / 3, 12);
    expect(m.recall).toBeCloseTo(1, 12);
    expect(m.ndcg).toBeCloseTo((1 + 1 / l2(4)) / (1 + 1 / l2(3)), 12); // 0.919720
  });

  it('a tied group straddling the cut-off counts fractionally (expected value over tie orders)', () => {
    // Item 0 at rank 0, then four items tied at ranks 1–4, two of them (ranks 1, 2) inside the top 3.
    // The relevant item 4 is in the group: it lands in the top 3 with probability 2/4.
    const m = userMetrics([1, 0.5, 0.5, 0.5, 0.5, 0], none, new Set([4]), 1, 3);
    expect(m.precision).toBeCloseTo(0.5 / 3, 12);
    expect(m.recall).toBeCloseTo(0.5, 12);
    expect(m.ndcg).toBeCloseTo((1 / 4) * (1 / l2(3) + 1 / l2(4)), 12); // 0.282732
    expect(m.top).toEqual([0, 1, 2]); // concrete list: ties by item index
  });

  it('ties above the cut-off do not change anything when the group is wholly inside', () => {
    // Items 1 and 2 tie at ranks 1–2; relevant 2: expected DCG = (1/2)(1/log2 3 + 1/log2 4).
    const m = userMetrics([1, 0.5, 0.5, 0.1], none, new Set([2]), 1, 3);
    expect(m.precision).toBeCloseTo(1 / 3, 12);
    expect(m.recall).toBeCloseTo(1, 12);
    expect(m.ndcg).toBeCloseTo(0.5 * (1 / l2(3) + 1 / l2(4)), 12);
  });

  it('all scores equal (a useless ranker) is worth its expected value, k = 10', () => {
    const scores = new Array<number>(20).fill(0);
    const m = userMetrics(scores, none, new Set([3, 17]), 2, 10);
    let dcg = 0;
    for (let p = 0; p < 10; p++) dcg += 1 / l2(p + 2);
    expect(m.precision).toBeCloseTo((2 * 10) / 20 / 10, 12);
    expect(m.recall).toBeCloseTo(0.5, 12);
    expect(m.ndcg).toBeCloseTo(((2 / 20) * dcg) / (1 + 1 / l2(3)), 12);
  });

  it('relevant items outside the catalogue count in the denominators only', () => {
    // 3 relevant, 1 of them in the catalogue, ranked first: recall 1/3, ideal DCG over 3 ranks.
    const m = userMetrics([1, 0.5, 0.2, 0.1], none, new Set([0]), 3, 3);
    expect(m.precision).toBeCloseTo(1 / 3, 12);
    expect(m.recall).toBeCloseTo(1 / 3, 12);
    expect(m.ndcg).toBeCloseTo(1 / (1 + 1 / l2(3) + 1 / l2(4)), 12);
  });
});

describe('topK', () => {
  it('breaks ties by item index and honours exclude', () => {
    expect(topK([0.5, 1, 0.5, 0.5, 1], 3, none)).toEqual([1, 4, 0]);
    expect(topK([0.5, 1, 0.5, 0.5, 1], 3, new Set([0, 4]))).toEqual([1, 2, 3]);
    expect(topK([2, 1], 5, none)).toEqual([0, 1]);
  });
});

describe('meanSe', () => {
  it('is the mean and the sample standard deviation over √n', () => {
    const s = meanSe([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.se).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12); // 0.645497
    expect(meanSe([7])).toEqual({ mean: 7, se: 0 });
    expect(meanSe([])).toEqual({ mean: 0, se: 0 });
  });
});

describe('makeSplit and evaluate', () => {
  const day = (d: number) => Date.UTC(2013, 0, d);
  const r = (author: string, movie: string, rating: number, d: number): Review => ({
    author,
    movie,
    rating,
    at: day(d),
  });
  const train = [
    r('a', 'm1', 10, 1),
    r('a', 'm2', 5, 2), // weak: reviewed, not liked
    r('b', 'm1', 6, 1), // b never liked in training
    r('c', 'm2', 9, 3),
    r('d', 'm3', 8, 4),
  ];
  const test = [
    r('a', 'm2', 10, 40), // reviewed in training: not relevant
    r('a', 'm3', 9, 41), // relevant
    r('b', 'm3', 10, 41), // b: no like in training → not a test user
    r('c', 'm2', 10, 42), // c's only test like was reviewed in training → skipped
    r('d', 'm9', 10, 43), // relevant but not in the catalogue
    r('e', 'm1', 10, 43), // unknown user
    r('d', 'm1', 3, 44), // not a like
  ];
  const split = makeSplit(train, test);

  it('selects test users, relevant items and exclusions as the protocol says', () => {
    expect(split.train.users).toBe(4);
    expect(split.train.items).toBe(3);
    expect(split.train.now).toBe(day(5));
    expect(split.train.interactions.filter((x) => x.like)).toHaveLength(3);
    const byName = Object.fromEntries(split.testUsers.map((t) => [split.userIds[t.user]!, t]));
    expect(Object.keys(byName).sort()).toEqual(['a', 'd']);
    const item = (m: string) => split.itemIds.indexOf(m);
    expect([...byName.a!.relevant]).toEqual([item('m3')]);
    expect(byName.a!.relevantCount).toBe(1);
    expect([...byName.a!.exclude].sort()).toEqual([item('m1'), item('m2')].sort());
    expect(byName.d!.relevant.size).toBe(0);
    expect(byName.d!.relevantCount).toBe(1);
  });

  it('averages over test users and measures catalogue coverage', () => {
    // A scorer that ranks m3 first for everyone: a hits (1 of 1), d cannot (m9 is unknown).
    const m3 = split.itemIds.indexOf('m3');
    const report = evaluate(split, () => split.itemIds.map((_, i) => (i === m3 ? 1 : 0)));
    expect(report.users).toBe(2);
    expect(report.precision.mean).toBeCloseTo(0.1 / 2, 12);
    expect(report.recall.mean).toBeCloseTo(0.5, 12);
    expect(report.ndcg.mean).toBeCloseTo(0.5, 12);
    expect(report.ndcg.se).toBeCloseTo(Math.sqrt(0.5) / Math.sqrt(2), 12);
    // a's list is m3 alone (m1, m2 excluded); d's is m1, m2 (d reviewed m3): all 3 items shown.
    expect(report.coverage).toBeCloseTo(3 / 3, 12);
  });
});
