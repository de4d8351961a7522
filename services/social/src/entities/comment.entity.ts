import { EntitySchema } from 'typeorm';

/** A comment on a target; `parentId` is set on replies (one level). */
export interface Comment {
  id: string;
  targetId: string;
  parentId: string | null;
  authorId: string;
  /** Null once deleted: the row stays only while it has replies. */
  body: string | null;
  deletedAt: Date | null;
  createdAt: Date;
  editedAt: Date | null;
}

export const CommentEntity = new EntitySchema<Comment>({
  name: 'Comment',
  tableName: 'comments',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    targetId: { name: 'target_id', type: 'varchar', length: 36 },
    parentId: { name: 'parent_id', type: 'varchar', length: 36, nullable: true },
    authorId: { name: 'author_id', type: 'varchar', length: 36 },
    body: { type: 'text', nullable: true },
    deletedAt: { name: 'deleted_at', type: 'datetime', precision: 3, nullable: true },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    editedAt: { name: 'edited_at', type: 'datetime', precision: 3, nullable: true },
  },
});
