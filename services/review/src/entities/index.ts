export { MediaRefEntity, type MediaRef, type MediaRefState } from '@moim/media-refs';
export * from './block-edge.entity';
export * from './follow-edge.entity';
export * from './interaction.entity';
export * from './recommendation.entity';
export * from './known-user.entity';
export * from './review-image.entity';
export * from './place.entity';
export * from './product.entity';
export * from './review.entity';
import { BlockEdgeEntity } from './block-edge.entity';
import { FollowEdgeEntity } from './follow-edge.entity';
import { InteractionEntity } from './interaction.entity';
import { KnownUserEntity } from './known-user.entity';
import { RecommendationEntity, RecommendationRunEntity } from './recommendation.entity';
import { MediaRefEntity } from '@moim/media-refs';
import { ReviewImageEntity } from './review-image.entity';
import { PlaceEntity } from './place.entity';
import { ProductEntity } from './product.entity';
import { ReviewEntity } from './review.entity';

export const entities = [
  PlaceEntity,
  ProductEntity,
  ReviewEntity,
  FollowEdgeEntity,
  BlockEdgeEntity,
  KnownUserEntity,
  MediaRefEntity,
  ReviewImageEntity,
  InteractionEntity,
  RecommendationRunEntity,
  RecommendationEntity,
];
