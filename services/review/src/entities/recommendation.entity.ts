import { EntitySchema } from 'typeorm';

/**
 * One refresh of the popular tab: its lists are served once it has finished, and kept for a while
 * after a newer one replaces it, so that a cursor keeps the ranking it was made from.
 */
export interface RecommendationRun {
  version: string;
  startedAt: Date;
  finishedAt: Date | null;
  supersededAt: Date | null;
  /** What it learnt from and what it cost, as JSON (users, subjects, interactions, timings). */
  summary: string | null;
}

export const RecommendationRunEntity = new EntitySchema<RecommendationRun>({
  name: 'RecommendationRun',
  tableName: 'recommendation_runs',
  columns: {
    version: { type: 'varchar', length: 36, primary: true },
    startedAt: { name: 'started_at', type: 'datetime', precision: 3 },
    finishedAt: { name: 'finished_at', type: 'datetime', precision: 3, nullable: true },
    supersededAt: { name: 'superseded_at', type: 'datetime', precision: 3, nullable: true },
    summary: { type: 'text', nullable: true },
  },
});

/**
 * A place in a viewer's popular list of one run (viewer '' is the trending list everyone without
 * a list of their own sees): a review, one per subject, and why it is there.
 */
export interface Recommendation {
  version: string;
  viewerId: string;
  position: number;
  reviewId: string;
  /** The place or product the viewer liked that led here (`Review.recommendationReason`); null when trending. */
  reasonId: string | null;
  reasonKind: 'PLACE' | 'PRODUCT' | null;
}

export const RecommendationEntity = new EntitySchema<Recommendation>({
  name: 'Recommendation',
  tableName: 'recommendations',
  columns: {
    version: { type: 'varchar', length: 36, primary: true },
    viewerId: { name: 'viewer_id', type: 'varchar', length: 36, primary: true },
    position: { type: 'int', primary: true },
    reviewId: { name: 'review_id', type: 'varchar', length: 36 },
    reasonId: { name: 'reason_id', type: 'varchar', length: 36, nullable: true },
    reasonKind: { name: 'reason_kind', type: 'varchar', length: 8, nullable: true },
  },
});
