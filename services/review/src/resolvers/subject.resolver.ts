import { parseId, requireUser, type PageArgs } from '@moim/kit';
import type { Place, Product } from '../entities';
import type { ReviewContext } from '../domain/context';
import { createPlace, createProduct, type PlaceInput, type ProductInput } from '../domain/subjects';

export const subjectResolvers = {
  Query: {
    place: (_: unknown, args: { id: string }, ctx: ReviewContext) => ctx.loaders.place.load(parseId(args.id)),
    product: (_: unknown, args: { id: string }, ctx: ReviewContext) =>
      ctx.loaders.product.load(parseId(args.id)),
  },
  Mutation: {
    createPlace: (_: unknown, { input }: { input: PlaceInput }, ctx: ReviewContext) =>
      createPlace(ctx.deps, requireUser(ctx.caller), input),
    createProduct: (_: unknown, { input }: { input: ProductInput }, ctx: ReviewContext) =>
      createProduct(ctx.deps, requireUser(ctx.caller), input),
  },
  Place: {
    __resolveReference: (ref: { id: string }, ctx: ReviewContext) => ctx.loaders.place.load(ref.id),
    reviews: (place: Place, args: PageArgs, ctx: ReviewContext) =>
      ctx.loaders.reviewsByPlace(args).load(place.id),
    reviewCount: (place: Place, _: unknown, ctx: ReviewContext) =>
      ctx.loaders.reviewCountByPlace.load(place.id),
  },
  Product: {
    __resolveReference: (ref: { id: string }, ctx: ReviewContext) => ctx.loaders.product.load(ref.id),
    reviews: (product: Product, args: PageArgs, ctx: ReviewContext) =>
      ctx.loaders.reviewsByProduct(args).load(product.id),
    reviewCount: (product: Product, _: unknown, ctx: ReviewContext) =>
      ctx.loaders.reviewCountByProduct.load(product.id),
  },
};
