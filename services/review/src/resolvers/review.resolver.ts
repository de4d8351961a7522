import { parseId, requireAdmin, requireUser, type PageArgs } from '@moim/kit';
import type { Review } from '../entities';
import type { ReviewContext } from '../domain/context';
import { feedPage, type FeedTab } from '../domain/feeds';
import { popularPage, type PopularReview } from '../domain/popular-feed';
import {
  canSee,
  adminCreateReview,
  createReview,
  deleteReview,
  setHidden,
  updateReview,
  type ReviewChanges,
  type ReviewInput,
} from '../domain/reviews';

async function visibleReview(ctx: ReviewContext, id: string): Promise<Review | null> {
  const review = await ctx.loaders.review.load(id);
  return review && canSee(ctx.caller, review) ? review : null;
}

export const reviewResolvers = {
  Query: {
    review: (_: unknown, args: { id: string }, ctx: ReviewContext) => visibleReview(ctx, parseId(args.id)),
    feed: (_: unknown, args: PageArgs & { tab: FeedTab | 'POPULAR' }, ctx: ReviewContext) =>
      args.tab === 'POPULAR'
        ? popularPage(ctx.deps, ctx.caller, args)
        : feedPage(ctx.deps, ctx.caller, args.tab, args),
  },
  Mutation: {
    createReview: (_: unknown, { input }: { input: ReviewInput }, ctx: ReviewContext) =>
      createReview(ctx.deps, requireUser(ctx.caller), input),
    adminCreateReview: (_: unknown, args: { authorId: string; input: ReviewInput }, ctx: ReviewContext) => {
      const adminId = requireAdmin(ctx.caller);
      return adminCreateReview(ctx.deps, adminId, parseId(args.authorId, 'authorId'), args.input);
    },
    updateReview: (_: unknown, args: { id: string; input: ReviewChanges }, ctx: ReviewContext) => {
      requireUser(ctx.caller);
      return updateReview(ctx.deps, ctx.caller, args.id, args.input);
    },
    deleteReview: (_: unknown, args: { id: string }, ctx: ReviewContext) => {
      requireUser(ctx.caller);
      return deleteReview(ctx.deps, ctx.caller, args.id);
    },
    hideReview: (_: unknown, args: { id: string }, ctx: ReviewContext) => {
      return setHidden(ctx.deps, requireAdmin(ctx.caller), args.id, true);
    },
    unhideReview: (_: unknown, args: { id: string }, ctx: ReviewContext) => {
      return setHidden(ctx.deps, requireAdmin(ctx.caller), args.id, false);
    },
  },
  Review: {
    __resolveReference: (ref: { id: string }, ctx: ReviewContext) => visibleReview(ctx, ref.id),
    author: (review: Review) => ({ __typename: 'User', id: review.authorId }),
    // References media resolves: the gateway asks for a page's images in one batch.
    images: async (review: Review, _: unknown, ctx: ReviewContext) =>
      (await ctx.loaders.reviewImages.load(review.id)).map((id) => ({ __typename: 'Media', id })),
    subject: async (review: Review, _: unknown, ctx: ReviewContext) =>
      review.placeId
        ? { __typename: 'Place', ...(await ctx.loaders.place.load(review.placeId)) }
        : { __typename: 'Product', ...(await ctx.loaders.product.load(review.productId!)) },
    // The subjects of a page's reasons come in one batch per kind, with those the page shows.
    recommendationReason: async (review: PopularReview, _: unknown, ctx: ReviewContext) => {
      const why = review.recommended;
      if (!why) return null;
      if (!why.reasonId) return 'Trending now';
      const loader = why.reasonKind === 'PLACE' ? ctx.loaders.place : ctx.loaders.product;
      const subject = await loader.load(why.reasonId);
      return subject ? `Liked by people who liked ${subject.name}` : 'Popular with people of your taste';
    },
  },
  User: {
    reviews: (user: { id: string }, args: PageArgs, ctx: ReviewContext) =>
      ctx.loaders.reviewsByAuthor(args).load(user.id),
    reviewCount: (user: { id: string }, _: unknown, ctx: ReviewContext) =>
      ctx.loaders.reviewCountByAuthor.load(user.id),
  },
};
