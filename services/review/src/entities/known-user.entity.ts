import { EntitySchema } from 'typeorm';

/** Users social has told review about (user.created): the authors an admin may write for. */
export interface KnownUser {
  id: string;
}

export const KnownUserEntity = new EntitySchema<KnownUser>({
  name: 'KnownUser',
  tableName: 'known_users',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
  },
});
