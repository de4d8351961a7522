import { newId } from '@moim/kit';
import { PlaceEntity, ProductEntity, type Place, type Product } from '../entities';
import type { ReviewDeps } from './context';
import { announceSubjects } from './searchable';
import { coordinate, optionalText, text, url } from './validation';

export interface PlaceInput {
  name: string;
  address?: string | null;
  category: string;
  latitude?: number | null;
  longitude?: number | null;
  externalUrl?: string | null;
}

export interface ProductInput {
  name: string;
  brand?: string | null;
  category: string;
  purchaseUrl?: string | null;
}

export async function createPlace(deps: ReviewDeps, userId: string, input: PlaceInput): Promise<Place> {
  const place = newPlace(userId, input);
  await deps.db.transaction(async (manager) => {
    await manager.insert(PlaceEntity, place);
    await announceSubjects(manager, { placeIds: [place.id] });
  });
  return place;
}

export function newPlace(userId: string, input: PlaceInput): Place {
  return {
    id: newId(),
    name: text(input.name, 'name', 100),
    address: optionalText(input.address, 'address', 200),
    category: text(input.category, 'category', 50),
    latitude: coordinate(input.latitude, 'latitude', 90),
    longitude: coordinate(input.longitude, 'longitude', 180),
    externalUrl: url(input.externalUrl, 'externalUrl'),
    createdBy: userId,
    createdAt: new Date(),
  };
}

export async function createProduct(deps: ReviewDeps, userId: string, input: ProductInput): Promise<Product> {
  const product = newProduct(userId, input);
  await deps.db.transaction(async (manager) => {
    await manager.insert(ProductEntity, product);
    await announceSubjects(manager, { productIds: [product.id] });
  });
  return product;
}

export function newProduct(userId: string, input: ProductInput): Product {
  return {
    id: newId(),
    name: text(input.name, 'name', 100),
    brand: optionalText(input.brand, 'brand', 100),
    category: text(input.category, 'category', 50),
    purchaseUrl: url(input.purchaseUrl, 'purchaseUrl'),
    createdBy: userId,
    createdAt: new Date(),
  };
}
