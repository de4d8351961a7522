import { EntitySchema } from 'typeorm';
import { bigintAsString } from '@moim/kit';

/**
 * review's own copy of the follow graph, fed by social's follow events. An unfollow keeps the
 * row with `active = false`, and `version` holds the sequence of the event that set it, so an
 * event that arrives late (a smaller sequence) cannot undo a newer one.
 */
export interface FollowEdge {
  followerId: string;
  followeeId: string;
  active: boolean;
  version: string;
}

export const FollowEdgeEntity = new EntitySchema<FollowEdge>({
  name: 'FollowEdge',
  tableName: 'follow_edges',
  columns: {
    followerId: { name: 'follower_id', type: 'varchar', length: 36, primary: true },
    followeeId: { name: 'followee_id', type: 'varchar', length: 36, primary: true },
    active: { type: 'boolean' },
    version: { type: 'bigint', transformer: bigintAsString },
  },
});
