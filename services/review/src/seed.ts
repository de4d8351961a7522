import type { Seeder } from '@moim/demo';
import type { ReviewDeps } from './domain/context';
import { refreshPopular } from './domain/popular-refresh';
import { insertReviews } from './domain/reviews';
import { announceSubjects } from './domain/searchable';
import { newPlace, newProduct } from './domain/subjects';
import { PlaceEntity, ProductEntity } from './entities';

/** The demo places, products and reviews, in one transaction, announced to search. */
export const seed: Seeder<ReviewDeps> = async (deps, demo) => {
  const first = demo.products[0];
  if (!first) return null;
  if (
    await deps.db.dataSource
      .getRepository(ProductEntity)
      .existsBy({ name: first.name, category: first.category })
  )
    return null;
  const idOf = (key: string) => {
    const id = demo.ids.get(key);
    if (!id) throw new Error(`The demo data has no id for ${key}: seed the services in list order`);
    return id;
  };
  const counts = await deps.db.transaction(async (manager) => {
    const places = demo.places.map((p) => newPlace(idOf(p.ownerKey), p));
    await manager.insert(PlaceEntity, places);
    const products = demo.products.map((p) => newProduct(idOf(p.ownerKey), p));
    await manager.insert(ProductEntity, products);
    const productIds = new Map(demo.products.map((p, i) => [p.key, products[i]!.id]));
    const reviews = await insertReviews(
      manager,
      demo.reviews.map((r) => ({
        ...r,
        authorId: idOf(r.authorKey),
        productId: productIds.get(r.productKey)!,
      })),
    );
    // Their review counts as the reviews above made them.
    await announceSubjects(manager, {
      placeIds: places.map((p) => p.id),
      productIds: products.map((p) => p.id),
    });
    return { places: places.length, products: products.length, reviews };
  });
  // The popular tab from the demo's ratings at once, not at the worker's first refresh.
  await refreshPopular(deps);
  return counts;
};
