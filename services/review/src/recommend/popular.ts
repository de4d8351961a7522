import type { TrainingData } from './model';

/** Most-popular: every user gets the items ranked by their number of training likes (baseline (a)). */
export function popularScores(data: TrainingData): Float64Array {
  const likes = new Float64Array(data.items);
  const seen = new Set<number>();
  for (const x of data.interactions) {
    if (!x.like) continue;
    const key = x.user * data.items + x.item;
    if (seen.has(key)) continue;
    seen.add(key);
    likes[x.item]!++;
  }
  return likes;
}
