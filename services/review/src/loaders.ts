import DataLoader from 'dataloader';
import type { EntitySchema } from 'typeorm';
import {
  connectionLoader,
  countLoader,
  isAdmin,
  keyedLoader,
  marks,
  rowReader,
  sqlParams,
  sqlPerShape,
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
import { reviewsOf, type ReviewParent } from './domain/feeds';

// Written SQL for the reads every feed and `__resolveReference` batch makes, one text per number
// of ids (see the kit's rowReader).
const byIds = (table: string) =>
  sqlPerShape((count: number) => `SELECT r.* FROM ${table} r WHERE r.id IN (${marks(count)})`);
const REVIEWS_BY_ID = byIds('reviews');
const PLACES_BY_ID = byIds('places');
const PRODUCTS_BY_ID = byIds('products');
/** Key `<column>:<count>:<shown>`: `all` for admins (hidden reviews counted), `visible` otherwise. */
const REVIEW_COUNTS = sqlPerShape((key: string) => {
  const [column, count, shown] = key.split(':');
  const hidden = shown === 'all' ? '' : ' AND r.hidden = ?';
  return (
    `SELECT r.${column} AS k, COUNT(*) AS n FROM reviews r WHERE r.${column} IN (${marks(Number(count))})` +
    `${hidden} GROUP BY r.${column}`
  );
});

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
  const admin = isAdmin(caller);
  const countBy = (column: ReviewParent) =>
    countLoader<string>(async (ids) => {
      const rows: Array<{ k: string; n: number | string }> = await ds.query(
        REVIEW_COUNTS(`${column}:${ids.length}:${admin ? 'all' : 'visible'}`),
        sqlParams(ds, admin ? ids : [...ids, false]),
      );
      return rows.map((r) => ({ key: r.k, count: r.n }));
    });
  const byId = <T extends { id: string }>(entity: EntitySchema<T>, sql: (count: number) => string) =>
    keyedLoader(
      (ids: readonly string[]) => rowReader(ds, entity).all(sql(ids.length), ids),
      (row: T) => row.id,
    );
  const review = byId(ReviewEntity, REVIEWS_BY_ID);
  const pagesBy = (parent: ReviewParent) =>
    connectionLoader(
      reviewsOf(deps, caller, parent, (r) => review.prime(r.id, r)),
      (r: Review) => r,
    );
  return {
    reviewsByAuthor: pagesBy('author_id'),
    reviewsByPlace: pagesBy('place_id'),
    reviewsByProduct: pagesBy('product_id'),
    review,
    place: byId(PlaceEntity, PLACES_BY_ID),
    product: byId(ProductEntity, PRODUCTS_BY_ID),
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
