import { EntitySchema } from 'typeorm';
import { bigintAsString } from '@moim/kit';

export type TargetKind = 'REVIEW' | 'POST';
export type TargetState = 'VISIBLE' | 'HIDDEN' | 'DELETED';

/**
 * Things people can interact with: social's replica of reviews (fed by review's events) and its
 * own posts. `version` is the sequence of the review event that last set the row (0 for posts),
 * so a late event cannot undo a newer one; a deleted target keeps its row for the same reason.
 */
export interface Target {
  id: string;
  kind: TargetKind;
  authorId: string;
  state: TargetState;
  version: string;
}

export const TargetEntity = new EntitySchema<Target>({
  name: 'Target',
  tableName: 'targets',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    kind: { type: 'varchar', length: 10 },
    authorId: { name: 'author_id', type: 'varchar', length: 36 },
    state: { type: 'varchar', length: 10 },
    version: { type: 'bigint', transformer: bigintAsString },
  },
});
