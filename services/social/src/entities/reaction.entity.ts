import { EntitySchema } from 'typeorm';

/** A like or a scrap: one per user and target, so liking twice is one like. */
export interface Reaction {
  userId: string;
  targetId: string;
  createdAt: Date;
}

const columns = {
  userId: { name: 'user_id', type: 'varchar', length: 36, primary: true },
  targetId: { name: 'target_id', type: 'varchar', length: 36, primary: true },
  createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
} as const;

export const LikeEntity = new EntitySchema<Reaction>({ name: 'Like', tableName: 'likes', columns });
export const ScrapEntity = new EntitySchema<Reaction>({ name: 'Scrap', tableName: 'scraps', columns });
