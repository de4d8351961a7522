export { service, typeDefs, type SocialService } from './service';
export { loadSocialEnv, type SocialConfig } from './env';
export {
  UserEntity,
  FollowEntity,
  RefreshTokenEntity,
  TargetEntity,
  PostEntity,
  CommentEntity,
  LikeEntity,
  ScrapEntity,
  BlockEntity,
  ReportEntity,
  NotificationEntity,
  DeviceEntity,
  MediaRefEntity,
  PostImageEntity,
  type MediaRef,
  type User,
  type RefreshToken,
  type Target,
} from './entities';
export { insertAccounts, SIGN_UPS_PER_IP, type NewAccount } from './domain/accounts';
export { CODES_PER_IP, CODES_PER_USER } from './domain/phone';
export { POSTS_PER_USER, setPostHidden } from './domain/posts';
export { COMMENTS_PER_USER } from './domain/comments';
export { REACTIONS_PER_USER } from './domain/reactions';
export { REPORTS_PER_USER } from './domain/reports';
export { createFcmPush } from './push/fcm-push';
export { PUSH_QUEUE, SEND_PUSH } from './push/push-job';
export type { SocialDeps } from './domain/context';
export type { LocalSms } from './sms/local-sms';
export type { SmsSender } from './sms/sms.port';
export type { LocalPush } from './push/local-push';
export type { PushSender, PushMessage, PushOutcome } from './push/push.port';
export { seed } from './seed';
export { makeAdmin } from './domain/admins';
export { createLoaders, type SocialLoaders } from './loaders';
export { announceBlocksAndLikes, announceTastes } from './domain/announce-existing';
