import { In, type EntityManager, type EntitySchema, type ObjectLiteral } from 'typeorm';
import type { SearchableChange, SearchDocument } from '@moim/events';
import { keysetPage, lockRows, recordSearchableChanges, type SearchableSource } from '@moim/kit';
import { PlaceEntity, ProductEntity, ReviewEntity, type Place, type Product, type Review } from '../entities';
import type { ReviewDeps } from './context';

/**
 * What review owns that people search for — reviews, places and products — as the search
 * subgraph learns it: announced with each change, and served page by page for a rebuild, both
 * through `toSearchDocument`. A place's or product's popularity is its number of visible
 * reviews, announced again whenever that changes.
 */

type Searchable =
  | { kind: 'REVIEW'; row: Pick<Review, 'id' | 'title' | 'body' | 'authorId' | 'hidden' | 'createdAt'> }
  | { kind: 'PLACE'; row: Pick<Place, 'id' | 'name' | 'address' | 'category' | 'createdAt'>; reviews: number }
  | {
      kind: 'PRODUCT';
      row: Pick<Product, 'id' | 'name' | 'brand' | 'category' | 'createdAt'>;
      reviews: number;
    };

const joined = (...parts: Array<string | null>) => parts.filter(Boolean).join(' · ');

/** The document of a review (null while hidden), a place or a product with its visible review count. */
export function toSearchDocument(thing: Searchable): SearchDocument | null {
  const { kind, row } = thing;
  const createdAt = row.createdAt.toISOString();
  switch (thing.kind) {
    case 'REVIEW': {
      const review = thing.row;
      if (review.hidden) return null;
      return {
        kind,
        id: row.id,
        title: review.title ?? '',
        body: review.body,
        authorId: review.authorId,
        popularity: 0,
        createdAt,
      };
    }
    case 'PLACE':
      return {
        kind,
        id: row.id,
        title: thing.row.name,
        body: joined(thing.row.address, thing.row.category),
        authorId: null,
        popularity: thing.reviews,
        createdAt,
      };
    case 'PRODUCT':
      return {
        kind,
        id: row.id,
        title: thing.row.name,
        body: joined(thing.row.brand, thing.row.category),
        authorId: null,
        popularity: thing.reviews,
        createdAt,
      };
  }
}

const changeOf = (thing: Searchable): SearchableChange => ({
  kind: thing.kind,
  id: thing.row.id,
  document: toSearchDocument(thing),
});

export interface Subjects {
  placeIds?: readonly string[];
  productIds?: readonly string[];
}

/** The places and products a review is about (none for one without a subject). */
export const subjectsOf = (review: Pick<Review, 'placeId' | 'productId'>): Subjects => ({
  placeIds: review.placeId ? [review.placeId] : [],
  productIds: review.productId ? [review.productId] : [],
});

/**
 * Locks a review's place or product: every change of its visible review count takes this lock
 * before counting, so announcements of one subject take turns and the last one has the count.
 * (Those transactions run READ COMMITTED, so the count reads what the one before committed.)
 */
export async function lockSubject(manager: EntityManager, review: Pick<Review, 'placeId' | 'productId'>) {
  if (review.placeId) await lockRows(manager, PlaceEntity, { id: review.placeId });
  if (review.productId) await lockRows(manager, ProductEntity, { id: review.productId });
}

/** Visible reviews per place or product, in one statement. */
async function visibleReviewCounts(
  manager: EntityManager,
  column: 'place_id' | 'product_id',
  ids: readonly string[],
): Promise<Map<string, number>> {
  if (!ids.length) return new Map();
  const rows: Array<{ subject: string; reviews: number | string }> = await manager
    .createQueryBuilder(ReviewEntity, 'r')
    .select(`r.${column}`, 'subject')
    .addSelect('COUNT(*)', 'reviews')
    .where(`r.${column} IN (:...ids)`, { ids })
    .andWhere('r.hidden = :hidden', { hidden: false })
    .groupBy(`r.${column}`)
    .getRawMany();
  return new Map(rows.map((r) => [r.subject, Number(r.reviews)]));
}

/** The places' and products' changes, their counts read now. */
async function subjectDocuments(
  manager: EntityManager,
  places: readonly Place[],
  products: readonly Product[],
): Promise<SearchableChange[]> {
  const placeCounts = await visibleReviewCounts(
    manager,
    'place_id',
    places.map((p) => p.id),
  );
  const productCounts = await visibleReviewCounts(
    manager,
    'product_id',
    products.map((p) => p.id),
  );
  return [
    ...places.map((row) => changeOf({ kind: 'PLACE', row, reviews: placeCounts.get(row.id) ?? 0 })),
    ...products.map((row) => changeOf({ kind: 'PRODUCT', row, reviews: productCounts.get(row.id) ?? 0 })),
  ];
}

async function subjectChanges(manager: EntityManager, subjects: Subjects): Promise<SearchableChange[]> {
  const load = <T extends ObjectLiteral>(entity: EntitySchema<T>, ids: readonly string[] = []) =>
    ids.length ? manager.findBy(entity, { id: In([...new Set(ids)]) } as never) : Promise.resolve([]);
  return subjectDocuments(
    manager,
    await load(PlaceEntity, subjects.placeIds),
    await load(ProductEntity, subjects.productIds),
  );
}

/**
 * Announces reviews as they are now (a document, or null while hidden) and, when their visible
 * review counts changed, their places and products, in one event.
 */
export async function announceReviews(
  manager: EntityManager,
  reviews: Array<Pick<Review, 'id' | 'title' | 'body' | 'authorId' | 'hidden' | 'createdAt'>>,
  countsChanged: Subjects = {},
): Promise<void> {
  await recordSearchableChanges(manager, [
    ...reviews.map((row) => changeOf({ kind: 'REVIEW', row })),
    ...(await subjectChanges(manager, countsChanged)),
  ]);
}

/** A review that is gone, and its subject's new count when it was visible. */
export async function announceReviewDeleted(
  manager: EntityManager,
  reviewId: string,
  countsChanged: Subjects = {},
): Promise<void> {
  await recordSearchableChanges(manager, [
    { kind: 'REVIEW', id: reviewId, document: null },
    ...(await subjectChanges(manager, countsChanged)),
  ]);
}

/** New places or products, or ones whose count changed without a review to announce. */
export async function announceSubjects(manager: EntityManager, subjects: Subjects): Promise<void> {
  await recordSearchableChanges(manager, await subjectChanges(manager, subjects));
}

/** Every visible review, place and product, in id order, for `npm run reindex`. */
export function searchableSource(deps: ReviewDeps): SearchableSource {
  const { dataSource } = deps.db;
  return {
    kinds: ['REVIEW', 'PLACE', 'PRODUCT'],
    async page(kind, after, limit) {
      const pageOf = <T extends ObjectLiteral>(entity: EntitySchema<T>) => {
        const qb = dataSource.getRepository(entity).createQueryBuilder('t');
        if (after) qb.andWhere('t.id > :after', { after });
        return qb.orderBy('t.id', 'ASC').limit(limit + 1);
      };
      const changes =
        kind === 'REVIEW'
          ? (await pageOf(ReviewEntity).andWhere('t.hidden = :hidden', { hidden: false }).getMany()).map(
              (row) => changeOf({ kind, row }),
            )
          : kind === 'PLACE'
            ? await subjectDocuments(dataSource.manager, await pageOf(PlaceEntity).getMany(), [])
            : await subjectDocuments(dataSource.manager, [], await pageOf(ProductEntity).getMany());
      const documents = changes.map((c) => c.document!);
      return keysetPage(documents, limit);
    },
  };
}
