import { describe, expect, it } from 'vitest';
import { DocStore } from './doc-store';
import { TopK } from './top-k';

describe('TopK', () => {
  it('keeps the best by coverage, relevance, newer, then id — as a full sort would', () => {
    const store = new DocStore();
    const n = 3000;
    for (let i = 0; i < n; i++) {
      store.add({
        kind: 'REVIEW',
        id: `id-${(i * 7919) % n}`,
        title: '',
        body: '',
        authorId: null,
        popularity: 0,
        likes: 0,
        createdAt: `2024-01-0${1 + (i % 3)}T00:00:00Z`,
      });
    }
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    // Few distinct scores: many ties, broken by date and id.
    const offers = Array.from({ length: n }, (_, slot) => ({
      slot,
      coverage: Math.floor(random() * 3),
      relevance: Math.floor(random() * 5) / 4,
    }));
    const order = [...offers].sort(
      (a, b) =>
        b.coverage - a.coverage ||
        b.relevance - a.relevance ||
        store.created[b.slot]! - store.created[a.slot]! ||
        (store.id(a.slot) < store.id(b.slot) ? -1 : 1),
    );
    for (const capacity of [1, 2, 21, 1001, 5000]) {
      const top = new TopK(capacity, store);
      for (const o of offers) top.offer(o.coverage, o.relevance, o.slot);
      expect(top.sorted().map((r) => r.slot)).toEqual(order.slice(0, capacity).map((o) => o.slot));
      const page = new TopK(capacity, store);
      for (const o of offers) page.offer(o.coverage, o.relevance, o.slot);
      const from = Math.floor(capacity / 2);
      const { hits, kept } = page.page(from, from + 20);
      expect(kept).toBe(Math.min(capacity, n));
      expect(hits.map((r) => r.slot)).toEqual(
        order.slice(from, Math.min(from + 20, capacity)).map((o) => o.slot),
      );
    }
  });

  it('bounds what can still enter once full', () => {
    const top = new TopK(2, new DocStore());
    expect(top.full).toBe(false);
    expect(top.wouldTake(0, 0)).toBe(true);
    top.offer(1, 5, 0);
    top.offer(1, 3, 1);
    expect(top.full).toBe(true);
    expect([top.minCoverage, top.minRelevance]).toEqual([1, 3]);
    expect(top.wouldTake(1, 2)).toBe(false);
    expect(top.wouldTake(2, 0)).toBe(true);
  });
});
