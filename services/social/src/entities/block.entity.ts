import { EntitySchema } from 'typeorm';

export interface Block {
  blockerId: string;
  blockedId: string;
  createdAt: Date;
}

export const BlockEntity = new EntitySchema<Block>({
  name: 'Block',
  tableName: 'blocks',
  columns: {
    blockerId: { name: 'blocker_id', type: 'varchar', length: 36, primary: true },
    blockedId: { name: 'blocked_id', type: 'varchar', length: 36, primary: true },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
  },
});
