import { EntitySchema } from 'typeorm';
import { bigintAsString } from '@moim/kit';

export type InteractionKind = 'LIKE' | 'SCRAP' | 'COMMENT';

/**
 * review's log of who engaged with which review (from social's like, scrap and comment events):
 * what the popular tab learns tastes and trends from. One row per like, scrap or comment (`ref` is
 * the comment's id, empty for likes and scraps), kept as the latest event says (`active`).
 */
export interface Interaction {
  userId: string;
  reviewId: string;
  kind: InteractionKind;
  ref: string;
  active: boolean;
  at: Date;
  version: string;
}

export const InteractionEntity = new EntitySchema<Interaction>({
  name: 'Interaction',
  tableName: 'interactions',
  columns: {
    userId: { name: 'user_id', type: 'varchar', length: 36, primary: true },
    reviewId: { name: 'review_id', type: 'varchar', length: 36, primary: true },
    kind: { type: 'varchar', length: 8, primary: true },
    ref: { type: 'varchar', length: 36, primary: true },
    active: { type: 'boolean' },
    at: { type: 'datetime', precision: 3 },
    version: { type: 'bigint', transformer: bigintAsString },
  },
});
