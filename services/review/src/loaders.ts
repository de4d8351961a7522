import DataLoader from 'dataloader';
import { In } from 'typeorm';
import {
  connectionLoader,
  countLoader,
  isAdmin,
  keyedLoader,
  type Caller,
  type Connection,
  type PageArgs,
} from '@moim/kit';
import {
  MediaRefEntity,
  PlaceEntity,
  ProductEntity,
  ReviewEntity,
  ReviewImageEntity,
  type Place,
  type Product,
  type Review,
} from './entities';
import type { ReviewDeps } from './domain/context';
import { reviewsOf } from './domain/feeds';

export interface ReviewLoaders {
  review: DataLoader<string, Review | null>;
  place: DataLoader<string, Place | null>;
  product: DataLoader<string, Product | null>;
  reviewCountByAuthor: DataLoader<string, number>;
  reviewCountByPlace: DataLoader<string, number>;
  reviewCountByProduct: DataLoader<string, number>;
  reviewsByAuthor: (args: PageArgs) => DataLoader<string, Connection<Review>>;
  reviewsByPlace: (args: PageArgs) => DataLoader<string, Connection<Review>>;
  reviewsByProduct: (args: PageArgs) => DataLoader<string, Connection<Review>>;
  /** Each review's images in order, leaving out uploads media failed to process. */
  reviewImages: DataLoader<string, string[]>;
}

/** Built per request: one query per loader per plan level, whatever the page size. */
export function createLoaders(deps: ReviewDeps, caller: Caller): ReviewLoaders {
  const ds = deps.db.dataSource;
  const reviews = ds.getRepository(ReviewEntity);
  const countBy = (column: 'author_id' | 'place_id' | 'product_id') =>
    countLoader<string>((ids) => {
      const qb = reviews
        .createQueryBuilder('r')
        .select(`r.${column}`, 'key')
        .addSelect('COUNT(*)', 'count')
        .where(`r.${column} IN (:...ids)`, { ids });
      if (!isAdmin(caller)) qb.andWhere('r.hidden = :hidden', { hidden: false });
      return qb.groupBy(`r.${column}`).getRawMany();
    });
  const review = keyedLoader(
    (ids: readonly string[]) => reviews.findBy({ id: In([...ids]) }),
    (r) => r.id,
  );
  const loadReviews = async (ids: string[]) =>
    (await review.loadMany(ids)).map((r) => (r instanceof Error ? null : r));
  const pagesBy = (parent: 'author_id' | 'place_id' | 'product_id') =>
    connectionLoader(reviewsOf(deps, caller, parent, loadReviews), (r: Review) => r);
  return {
    reviewsByAuthor: pagesBy('author_id'),
    reviewsByPlace: pagesBy('place_id'),
    reviewsByProduct: pagesBy('product_id'),
    review,
    place: keyedLoader(
      (ids) => ds.getRepository(PlaceEntity).findBy({ id: In([...ids]) }),
      (p) => p.id,
    ),
    product: keyedLoader(
      (ids) => ds.getRepository(ProductEntity).findBy({ id: In([...ids]) }),
      (p) => p.id,
    ),
    reviewCountByAuthor: countBy('author_id'),
    reviewCountByPlace: countBy('place_id'),
    reviewCountByProduct: countBy('product_id'),
    reviewImages: new DataLoader(async (ids) => {
      const rows: Array<{ reviewId: string; mediaId: string }> = await ds
        .getRepository(ReviewImageEntity)
        .createQueryBuilder('i')
        .innerJoin(MediaRefEntity.options.name, 'm', 'm.id = i.media_id')
        .select('i.review_id', 'reviewId')
        .addSelect('i.media_id', 'mediaId')
        .where('i.review_id IN (:...ids)', { ids })
        .andWhere('m.state = :active', { active: 'ACTIVE' })
        .orderBy('i.review_id')
        .addOrderBy('i.position')
        .getRawMany();
      const byReview = new Map<string, string[]>();
      for (const r of rows) byReview.set(r.reviewId, [...(byReview.get(r.reviewId) ?? []), r.mediaId]);
      return ids.map((id) => byReview.get(id) ?? []);
    }),
  };
}
