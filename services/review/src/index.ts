export { createReviewService, typeDefs, type ReviewService } from './service';
export { loadReviewEnv, type ReviewConfig } from './env';
export {
  ReviewEntity,
  PlaceEntity,
  ProductEntity,
  FollowEdgeEntity,
  KnownUserEntity,
  type Review,
  type Product,
} from './entities';
export { createReview } from './domain/reviews';
export { createProduct } from './domain/subjects';
