import { EntitySchema } from 'typeorm';
import { bigintAsString } from '@moim/kit';

/**
 * review's copy of who blocks whom, fed by social's block events like follow edges are: a
 * blocker's feeds and review lists leave out the people they block.
 */
export interface BlockEdge {
  blockerId: string;
  blockedId: string;
  active: boolean;
  version: string;
}

export const BlockEdgeEntity = new EntitySchema<BlockEdge>({
  name: 'BlockEdge',
  tableName: 'block_edges',
  columns: {
    blockerId: { name: 'blocker_id', type: 'varchar', length: 36, primary: true },
    blockedId: { name: 'blocked_id', type: 'varchar', length: 36, primary: true },
    active: { type: 'boolean' },
    version: { type: 'bigint', transformer: bigintAsString },
  },
});
