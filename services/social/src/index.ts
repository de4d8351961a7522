export { service, typeDefs, type SocialService } from './service';
export { loadSocialEnv, type SocialConfig } from './env';
export { UserEntity, FollowEntity, type User } from './entities';
export { insertAccounts, type NewAccount } from './domain/accounts';
export type { SocialDeps } from './domain/context';
export type { LocalSms } from './sms/local-sms';
export type { SmsSender } from './sms/sms.port';
export { seed } from './seed';
