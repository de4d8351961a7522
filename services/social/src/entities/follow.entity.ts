import { EntitySchema } from 'typeorm';

export interface Follow {
  followerId: string;
  followeeId: string;
  createdAt: Date;
}

export const FollowEntity = new EntitySchema<Follow>({
  name: 'Follow',
  tableName: 'follows',
  columns: {
    followerId: { name: 'follower_id', type: 'varchar', length: 36, primary: true },
    followeeId: { name: 'followee_id', type: 'varchar', length: 36, primary: true },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
  },
});
