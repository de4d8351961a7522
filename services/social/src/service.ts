import { readFileSync } from 'node:fs';
import { getAuth } from 'firebase-admin/auth';
import { getMessaging } from 'firebase-admin/messaging';
import type { Logger, RunningService, ServiceModule } from '@moim/kit';
import { entities } from './entities';
import { loadSocialEnv, type SocialConfig } from './env';
import { socialEventHandlers } from './events';
import type { SocialContext, SocialDeps } from './domain/context';
import { searchableSource } from './domain/searchable';
import { firebaseApp } from './firebase/app';
import { createFirebaseVerifier } from './firebase/firebase-verifier';
import type { FirebaseVerifier } from './firebase/verifier.port';
import { createLoaders } from './loaders';
import { CreateSocial1764300000000 } from './migrations/1764300000000-create-social';
import { NormalisedKeys1764400000000 } from './migrations/1764400000000-normalised-keys';
import { RefreshGrace1764500000000 } from './migrations/1764500000000-refresh-grace';
import { Interactions1764600000000 } from './migrations/1764600000000-interactions';
import { MediaRefs1764700000000 } from './migrations/1764700000000-media-refs';
import { AnnounceBlocksAndLikes1765000000001 } from './migrations/1765000000001-announce-blocks-and-likes';
import { AnnounceTastes1766000000000 } from './migrations/1766000000000-announce-tastes';
import { chatPushProcessor } from './push/chat-push-job';
import { createFcmPush } from './push/fcm-push';
import { createLocalPush } from './push/local-push';
import type { PushSender } from './push/push.port';
import { pushProcessors } from './push/push-job';
import { accountResolvers } from './resolvers/account.resolver';
import { blockResolvers } from './resolvers/block.resolver';
import { commentResolvers } from './resolvers/comment.resolver';
import { deviceResolvers } from './resolvers/device.resolver';
import { firebaseResolvers } from './resolvers/firebase.resolver';
import { notificationResolvers } from './resolvers/notification.resolver';
import { postResolvers } from './resolvers/post.resolver';
import { reportResolvers } from './resolvers/report.resolver';
import { targetResolvers } from './resolvers/target.resolver';
import { userResolvers } from './resolvers/user.resolver';
import { createLocalSms } from './sms/local-sms';
import { createSensSms } from './sms/sens-sms';
import type { SmsSender } from './sms/sms.port';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export type SocialService = RunningService<SocialDeps>;

type ResolverMap = Record<string, Record<string, unknown>>;

/** Resolver maps by area, merged type by type (several areas add fields to User, Query, Mutation). */
function mergeResolvers(...maps: ResolverMap[]): ResolverMap {
  const merged: ResolverMap = {};
  for (const map of maps)
    for (const [type, fields] of Object.entries(map)) {
      for (const field of Object.keys(fields))
        if (merged[type] && field in merged[type]) throw new Error(`Two resolvers for ${type}.${field}`);
      merged[type] = { ...merged[type], ...fields };
    }
  return merged;
}

/**
 * Accounts, sessions, phone verification, follows, board posts and every interaction (comments,
 * likes, scraps, blocks, reports, notifications, pushes): the `social` subgraph.
 */
export const service: ServiceModule<SocialConfig, SocialDeps> = {
  name: 'social',
  loadEnv: loadSocialEnv,
  define: (config) => ({
    name: 'social',
    typeDefs,
    resolvers: mergeResolvers(
      userResolvers,
      accountResolvers,
      firebaseResolvers,
      postResolvers,
      commentResolvers,
      targetResolvers,
      blockResolvers,
      reportResolvers,
      notificationResolvers,
      deviceResolvers,
    ),
    database: {
      entities,
      migrations: [
        CreateSocial1764300000000,
        NormalisedKeys1764400000000,
        RefreshGrace1764500000000,
        Interactions1764600000000,
        MediaRefs1764700000000,
        AnnounceBlocksAndLikes1765000000001,
        AnnounceTastes1766000000000,
      ],
    },
    deps: (kit) => ({
      ...kit,
      config,
      sms: smsFrom(config, kit.logger),
      push: pushFrom(config, kit.logger),
      firebase: firebaseFrom(config, kit.logger),
    }),
    context: (base, deps): SocialContext => ({
      ...base,
      deps,
      loaders: createLoaders(deps, base.caller.userId),
      selfIds: new Set(base.caller.userId ? [base.caller.userId] : []),
    }),
    searchable: (deps) => searchableSource(deps),
    events: () => socialEventHandlers,
    jobs: (deps) => [...pushProcessors(deps), chatPushProcessor(deps)],
  }),
};

function smsFrom(config: SocialConfig, logger: Logger): SmsSender {
  if (config.SMS_PROVIDER === 'sens') {
    return createSensSms({
      accessKey: config.SENS_ACCESS_KEY!,
      secretKey: config.SENS_SECRET_KEY!,
      serviceId: config.SENS_SERVICE_ID!,
      from: config.SENS_FROM!,
    });
  }
  logger.info('SMS_PROVIDER=local: verification codes are logged, not sent');
  return createLocalSms(logger);
}

function pushFrom(config: SocialConfig, logger: Logger): PushSender {
  if (config.GOOGLE_APPLICATION_CREDENTIALS) return createFcmPush(getMessaging(firebaseApp(config)), logger);
  logger.info('No Firebase credentials (GOOGLE_APPLICATION_CREDENTIALS): pushes are logged, not sent');
  return createLocalPush(logger);
}

function firebaseFrom(config: SocialConfig, logger: Logger): FirebaseVerifier | null {
  if (config.FIREBASE_PROJECT_ID) return createFirebaseVerifier(getAuth(firebaseApp(config)));
  logger.info('No FIREBASE_PROJECT_ID: signInWithFirebase is off');
  return null;
}
