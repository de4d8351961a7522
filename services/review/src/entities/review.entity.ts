import { EntitySchema } from 'typeorm';

/** DADALOG: long-form review with a title; SOSOLOG: a short note. */
export type ReviewKind = 'DADALOG' | 'SOSOLOG';

export interface Review {
  id: string;
  kind: ReviewKind;
  title: string | null;
  body: string;
  rating: number;
  placeId: string | null;
  productId: string | null;
  authorId: string;
  hidden: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const ReviewEntity = new EntitySchema<Review>({
  name: 'Review',
  tableName: 'reviews',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    kind: { type: 'varchar', length: 10 },
    title: { type: 'varchar', length: 100, nullable: true },
    body: { type: 'text' },
    rating: { type: 'int' },
    placeId: { name: 'place_id', type: 'varchar', length: 36, nullable: true },
    productId: { name: 'product_id', type: 'varchar', length: 36, nullable: true },
    authorId: { name: 'author_id', type: 'varchar', length: 36 },
    hidden: { type: 'boolean', default: false },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    updatedAt: { name: 'updated_at', type: 'datetime', precision: 3 },
  },
});
