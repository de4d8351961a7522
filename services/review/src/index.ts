export { service, typeDefs, type ReviewService } from './service';
export { loadReviewEnv, type ReviewConfig } from './env';
export {
  ReviewEntity,
  PlaceEntity,
  ProductEntity,
  FollowEdgeEntity,
  BlockEdgeEntity,
  KnownUserEntity,
  MediaRefEntity,
  ReviewImageEntity,
  InteractionEntity,
  type MediaRef,
  type Review,
  type Product,
} from './entities';
export type { ReviewDeps } from './domain/context';
export { seed } from './seed';
export { createLoaders, type ReviewLoaders } from './loaders';
export { feedPage, type FeedTab } from './domain/feeds';
export { popularPage } from './domain/popular-feed';
export { refreshPopular, type RefreshSummary } from './domain/popular-refresh';
