import { EntitySchema } from 'typeorm';

/** The images of a review, in the order the author gave them. */
export interface ReviewImage {
  reviewId: string;
  mediaId: string;
  position: number;
}

export const ReviewImageEntity = new EntitySchema<ReviewImage>({
  name: 'ReviewImage',
  tableName: 'review_images',
  columns: {
    reviewId: { name: 'review_id', type: 'varchar', length: 36, primary: true },
    mediaId: { name: 'media_id', type: 'varchar', length: 36, primary: true },
    position: { type: 'int' },
  },
});
