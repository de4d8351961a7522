import { describe, expect, it } from 'vitest';
import { trainItemKnn } from './item-knn';
import { DEFAULT_PARAMS, trainModel, type Interaction, type TrainingData } from './model';

const DAY = 86_400_000;
const NOW = Date.UTC(2014, 0, 1);
const like = (user: number, item: number, daysAgo = 300): Interaction => ({
  user,
  item,
  like: true,
  at: NOW - daysAgo * DAY,
});
const weak = (user: number, item: number, daysAgo = 300): Interaction => ({
  ...like(user, item, daysAgo),
  like: false,
});

// Users 1–3 liked items 0 and 1 together; user 1 also liked item 4; users 4–5 liked 2 and 3.
// Viewer 0 liked item 0 only: "people who liked 0 liked 1" — item 1 must come first, because of 0.
// User 6 has no history.
const graph: TrainingData = {
  users: 7,
  items: 5,
  now: NOW,
  interactions: [
    like(0, 0),
    ...[1, 2, 3].flatMap((u) => [like(u, 0), like(u, 1)]),
    like(1, 4),
    ...[4, 5].flatMap((u) => [like(u, 2), like(u, 3)]),
    weak(5, 4),
  ],
};

describe('trainModel on a hand-made graph', () => {
  const model = trainModel(graph);

  it('ranks the item liked by people who liked the viewer’s item first, with that item as the reason', () => {
    const recs = model.recommend(0, 3, new Set([0]));
    expect(recs[0]).toMatchObject({ item: 1, because: 0 });
    expect(recs[0]!.score).toBeGreaterThan(recs[1]!.score);
    expect(recs[1]).toMatchObject({ item: 4, because: 0 }); // co-liked with 0 by one user only
  });

  it('honours exclude, returns at most k, best first, ties by item index', () => {
    const recs = model.recommend(0, 10, new Set([0, 1]));
    expect(recs.map((r) => r.item)).not.toContain(0);
    expect(recs.map((r) => r.item)).not.toContain(1);
    expect(recs.map((r) => r.item)).toEqual([4, 2, 3]); // 2 and 3 score 0: index order
    expect(recs.slice(1).every((r) => r.score === 0 && r.because === -1)).toBe(true);
    expect(model.recommend(0, 1, new Set())).toHaveLength(1);
  });

  it('gives a user with no history (or unknown) nothing', () => {
    expect(model.recommend(6, 10, new Set())).toEqual([]);
    expect(model.recommend(99, 10, new Set())).toEqual([]);
    expect([...model.scores(6)].every((s) => s === 0)).toBe(true);
  });

  it('counts a repeated interaction once', () => {
    const twice = trainModel({ ...graph, interactions: [...graph.interactions, ...graph.interactions] });
    expect([...twice.scores(0)]).toEqual([...model.scores(0)]);
  });

  it('prefers, among equally co-liked items, the one whose audience is recent (a new release)', () => {
    // Items 1 and 2 are each co-liked with 0 by two users; item 2's likes are from last week.
    const data: TrainingData = {
      users: 5,
      items: 3,
      now: NOW,
      interactions: [
        like(0, 0),
        like(1, 0, 400),
        like(1, 1, 400),
        like(2, 0, 400),
        like(2, 1, 400),
        like(3, 0, 10),
        like(3, 2, 7),
        like(4, 0, 10),
        like(4, 2, 7),
      ],
    };
    const recs = trainModel(data).recommend(0, 2, new Set([0]));
    expect(recs.map((r) => r.item)).toEqual([2, 1]);
    // Without the recency prior they tie, and the tie goes to the lower index.
    const flat = trainModel(data, { ...DEFAULT_PARAMS, trendPower: 0, beta: 0 }).recommend(
      0,
      2,
      new Set([0]),
    );
    expect(flat[0]!.score).toBe(flat[1]!.score);
    expect(flat.map((r) => r.item)).toEqual([1, 2]);
  });

  it('is deterministic', () => {
    expect([...trainModel(graph).scores(0)]).toEqual([...model.scores(0)]);
  });
});

describe('trainModel with its extra terms off', () => {
  it('is exactly item-kNN (cosine, shrinkage, k neighbours over likes)', () => {
    const interactions: Interaction[] = [];
    // A deterministic pseudo-random graph: 40 users, 30 items.
    let x = 12345;
    const next = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let u = 0; u < 40; u++) {
      for (let i = 0; i < 30; i++) {
        const r = next();
        if (r < 0.15) interactions.push(like(u, i, Math.floor(next() * 500)));
        else if (r < 0.2) interactions.push(weak(u, i, 20));
      }
    }
    const data: TrainingData = { users: 40, items: 30, now: NOW, interactions };
    const model = trainModel(data, {
      ...DEFAULT_PARAMS,
      neighbours: 7,
      shrink: 3,
      weak: 0,
      weakSim: 0,
      trendPower: 0,
      beta: 0,
    });
    const knn = trainItemKnn(data, 7, 3);
    for (let u = 0; u < 40; u++) {
      const a = model.scores(u);
      const b = knn(u);
      for (let i = 0; i < 30; i++) expect(a[i]).toBeCloseTo(b[i]!, 12);
    }
  });
});
