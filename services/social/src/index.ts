export { createSocialService, typeDefs, type SocialService } from './service';
export { loadSocialEnv, type SocialConfig } from './env';
export { UserEntity, FollowEntity, type User } from './entities';
export { hashPassword } from './domain/passwords';
export { follow as followUser, followInTransaction } from './domain/follows';
export type { SmsSender } from './sms/sms.port';
