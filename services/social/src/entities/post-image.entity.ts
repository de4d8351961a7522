import { EntitySchema } from 'typeorm';

/** The images of a post, in the order its author gave them. */
export interface PostImage {
  postId: string;
  mediaId: string;
  position: number;
}

export const PostImageEntity = new EntitySchema<PostImage>({
  name: 'PostImage',
  tableName: 'post_images',
  columns: {
    postId: { name: 'post_id', type: 'varchar', length: 36, primary: true },
    mediaId: { name: 'media_id', type: 'varchar', length: 36, primary: true },
    position: { type: 'int' },
  },
});
