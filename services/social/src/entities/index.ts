export { MediaRefEntity, type MediaRef, type MediaRefState } from '@moim/media-refs';
export * from './block.entity';
export * from './comment.entity';
export * from './device.entity';
export * from './follow.entity';
export * from './post-image.entity';
export * from './notification.entity';
export * from './phone-code.entity';
export * from './post.entity';
export * from './reaction.entity';
export * from './report.entity';
export * from './session.entity';
export * from './target.entity';
export * from './user.entity';
import { BlockEntity } from './block.entity';
import { CommentEntity } from './comment.entity';
import { DeviceEntity } from './device.entity';
import { FollowEntity } from './follow.entity';
import { MediaRefEntity } from '@moim/media-refs';
import { PostImageEntity } from './post-image.entity';
import { NotificationActorEntity, NotificationEntity, NotificationMuteEntity } from './notification.entity';
import { PhoneCodeEntity } from './phone-code.entity';
import { PostEntity } from './post.entity';
import { LikeEntity, ScrapEntity } from './reaction.entity';
import { ReportEntity } from './report.entity';
import { RefreshTokenEntity, SessionEntity } from './session.entity';
import { TargetEntity } from './target.entity';
import { UserEntity } from './user.entity';

export const entities = [
  UserEntity,
  SessionEntity,
  RefreshTokenEntity,
  FollowEntity,
  PhoneCodeEntity,
  TargetEntity,
  PostEntity,
  CommentEntity,
  LikeEntity,
  ScrapEntity,
  BlockEntity,
  ReportEntity,
  NotificationEntity,
  NotificationActorEntity,
  NotificationMuteEntity,
  DeviceEntity,
  MediaRefEntity,
  PostImageEntity,
];
