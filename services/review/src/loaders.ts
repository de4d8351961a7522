import type DataLoader from 'dataloader';
import { In } from 'typeorm';
import { countLoader, isAdmin, keyedLoader, type Caller } from '@moim/kit';
import { PlaceEntity, ProductEntity, ReviewEntity, type Place, type Product, type Review } from './entities';
import type { ReviewDeps } from './domain/context';

export interface ReviewLoaders {
  review: DataLoader<string, Review | null>;
  place: DataLoader<string, Place | null>;
  product: DataLoader<string, Product | null>;
  reviewCountByAuthor: DataLoader<string, number>;
  reviewCountByPlace: DataLoader<string, number>;
  reviewCountByProduct: DataLoader<string, number>;
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
  return {
    review: keyedLoader(
      (ids) => reviews.findBy({ id: In([...ids]) }),
      (r) => r.id,
    ),
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
  };
}
