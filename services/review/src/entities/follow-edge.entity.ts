import { EntitySchema } from 'typeorm';

/**
 * review's own copy of the follow graph, fed by social's follow events. An unfollow keeps the
 * row with `active = false`, so an event that arrives late (older `changedAt`) cannot undo a
 * newer one.
 */
export interface FollowEdge {
  followerId: string;
  followeeId: string;
  active: boolean;
  changedAt: Date;
}

export const FollowEdgeEntity = new EntitySchema<FollowEdge>({
  name: 'FollowEdge',
  tableName: 'follow_edges',
  columns: {
    followerId: { name: 'follower_id', type: 'varchar', length: 36, primary: true },
    followeeId: { name: 'followee_id', type: 'varchar', length: 36, primary: true },
    active: { type: 'boolean' },
    changedAt: { name: 'changed_at', type: 'datetime', precision: 3 },
  },
});
