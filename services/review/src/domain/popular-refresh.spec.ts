import { describe, expect, it } from 'vitest';
import { buildLists } from './popular-refresh';

// The lists of one run, from hand-made signals (no database): who gets a list, which review
// stands for a subject, and what trending ranks first.
const DAY = 86_400_000;
const now = Date.UTC(2026, 10, 1);

type ReviewRow = Parameters<typeof buildLists>[0][number];
const review = (
  id: string,
  authorId: string,
  subjectId: string,
  daysAgo: number,
  extra: Partial<ReviewRow> = {},
) => ({
  id,
  authorId,
  subjectId,
  subjectKind: 'PRODUCT' as const,
  rating: 5,
  hidden: false,
  createdAt: now - daysAgo * DAY,
  ...extra,
});
const like = (userId: string, reviewId: string, daysAgo: number) => ({
  userId,
  reviewId,
  kind: 'LIKE' as const,
  at: now - daysAgo * DAY,
});

/** Every row a refresh would write: the trending list, then each viewer's. */
function build(...args: Parameters<typeof buildLists>) {
  const lists = buildLists(...args);
  return {
    rows: [...lists.trending, ...lists.viewers.flatMap((v) => lists.listOf(v))],
    viewers: lists.viewers.length,
  };
}

describe('buildLists', () => {
  const reviews = [
    review('r-ramen', 'author-1', 'ramen', 10),
    review('r-gyoza', 'author-2', 'gyoza', 10),
    review('r-gyoza-2', 'author-3', 'gyoza', 9),
    review('r-hidden', 'author-4', 'kimchi', 1, { hidden: true }),
    review('r-tart', 'author-5', 'tart', 7),
  ];
  const interactions = [
    ...['fan-1', 'fan-2'].flatMap((fan) => [like(fan, 'r-ramen', 5), like(fan, 'r-gyoza', 5)]),
    like('fan-3', 'r-gyoza-2', 8),
    like('viewer', 'r-ramen', 2),
  ];

  it('lists one review per subject, the most engaging one the viewer may see', () => {
    const { rows } = build(reviews, interactions, new Map(), now, 100);
    const viewer = rows.filter((r) => r.viewerId === 'viewer');
    // Gyoza, through its most liked review (two likes against one), because of Ramen.
    expect(viewer[0]).toMatchObject({
      position: 1,
      reviewId: 'r-gyoza',
      reasonId: 'ramen',
      reasonKind: 'PRODUCT',
    });
    expect(viewer.map((r) => r.reviewId)).not.toContain('r-ramen'); // liked already
    // Blocking author-2 makes the other Gyoza review stand for it.
    const blocked = build(reviews, interactions, new Map([['viewer', new Set(['author-2'])]]), now, 100);
    expect(blocked.rows.find((r) => r.viewerId === 'viewer')).toMatchObject({ reviewId: 'r-gyoza-2' });
    // Hidden reviews stand for nothing: Kimchi has no other, so it is in no list.
    expect(rows.map((r) => r.reviewId)).not.toContain('r-hidden');
    for (const list of new Set(rows.map((r) => r.viewerId))) {
      const ids = rows.filter((r) => r.viewerId === list).map((r) => r.reviewId);
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it('ranks trending by recent engagement and gives it no reason', () => {
    const { rows } = build(reviews, interactions, new Map(), now, 100);
    const trending = rows.filter((r) => r.viewerId === '');
    // Engagement halves every three days. Ramen: the review (10 days ago) and likes 5, 5 and 2
    // days ago, 1.36; Gyoza: its two reviews (10 and 9 days) and likes 5, 5 and 8 days ago, 1.01.
    expect(trending.map((r) => r.reviewId)).toEqual(['r-ramen', 'r-gyoza', 'r-tart']);
    // Fresher engagement wins over more of it: two likes of the second Gyoza review today.
    const today = [...interactions, like('fan-4', 'r-gyoza-2', 0), like('fan-5', 'r-gyoza-2', 0)];
    const fresh = build(reviews, today, new Map(), now, 100).rows.filter((r) => r.viewerId === '');
    expect(fresh.map((r) => r.reviewId)).toEqual(['r-gyoza-2', 'r-ramen', 'r-tart']);
    expect(trending.every((r) => r.reasonId === null && r.reasonKind === null)).toBe(true);
    // Ten comments by one person today count as one (0.5): Tart stays last.
    const thread = Array.from({ length: 10 }, (_, i) => ({
      userId: 'chatty',
      reviewId: 'r-tart',
      kind: 'COMMENT' as const,
      at: now - i * 60_000,
    }));
    const chatty = build(reviews, [...interactions, ...thread], new Map(), now, 100).rows;
    // The latest comment of each person counts, whichever is read first: two people who
    // commented a month ago and again today lift Tart above Gyoza (2 × 0.5 + 0.2 > 1.01).
    const comment = (userId: string, daysAgo: number) => ({
      userId,
      reviewId: 'r-tart',
      kind: 'COMMENT' as const,
      at: now - daysAgo * DAY,
    });
    const returning = [comment('a', 30), comment('a', 0), comment('b', 30), comment('b', 0)];
    const lifted = build(reviews, [...interactions, ...returning], new Map(), now, 100).rows;
    expect(lifted.filter((r) => r.viewerId === '').map((r) => r.reviewId)).toEqual([
      'r-ramen',
      'r-tart',
      'r-gyoza',
    ]);
    expect(chatty.filter((r) => r.viewerId === '').map((r) => r.reviewId)).toEqual([
      'r-ramen',
      'r-gyoza',
      'r-tart',
    ]);
  });

  it('makes lists for the most recently active viewers only, up to the limit', () => {
    const { rows, viewers } = build(reviews, interactions, new Map(), now, 2);
    expect(viewers).toBe(2);
    // author-4 (a review a day ago, hidden since: still their taste) and the viewer (a like two
    // days ago); the fans of five and eight days ago and the other authors get trending.
    expect(new Set(rows.map((r) => r.viewerId))).toEqual(new Set(['', 'author-4', 'viewer']));
    const three = build(reviews, interactions, new Map(), now, 3).rows;
    // Then fan-1 and fan-2 tie (five days ago): the first seen first (its list: Tart, trending).
    expect(new Set(three.map((r) => r.viewerId))).toEqual(new Set(['', 'author-4', 'viewer', 'fan-1']));
  });
});
