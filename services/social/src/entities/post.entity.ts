import { EntitySchema } from 'typeorm';

export interface Post {
  id: string;
  board: string;
  title: string;
  body: string;
  authorId: string;
  hidden: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const PostEntity = new EntitySchema<Post>({
  name: 'Post',
  tableName: 'posts',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    board: { type: 'varchar', length: 40 },
    title: { type: 'varchar', length: 100 },
    body: { type: 'text' },
    authorId: { name: 'author_id', type: 'varchar', length: 36 },
    hidden: { type: 'boolean', default: false },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    updatedAt: { name: 'updated_at', type: 'datetime', precision: 3 },
  },
});
