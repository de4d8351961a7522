import { readFileSync } from 'node:fs';
import type { Logger, RunningService, ServiceModule } from '@moim/kit';
import { entities } from './entities';
import { loadSocialEnv, type SocialConfig } from './env';
import type { SocialContext, SocialDeps } from './domain/context';
import { createLoaders } from './loaders';
import { CreateSocial1764300000000 } from './migrations/1764300000000-create-social';
import { NormalisedKeys1764400000000 } from './migrations/1764400000000-normalised-keys';
import { RefreshGrace1764500000000 } from './migrations/1764500000000-refresh-grace';
import { accountResolvers } from './resolvers/account.resolver';
import { userResolvers } from './resolvers/user.resolver';
import { createLocalSms } from './sms/local-sms';
import { createSensSms } from './sms/sens-sms';
import type { SmsSender } from './sms/sms.port';

export const typeDefs = readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8');

export type SocialService = RunningService<SocialDeps>;

/** Accounts, sessions, phone verification and follows: the `social` subgraph. */
export const service: ServiceModule<SocialConfig, SocialDeps> = {
  name: 'social',
  loadEnv: loadSocialEnv,
  define: (config) => ({
    name: 'social',
    typeDefs,
    resolvers: { ...userResolvers, ...accountResolvers },
    database: {
      entities,
      migrations: [CreateSocial1764300000000, NormalisedKeys1764400000000, RefreshGrace1764500000000],
    },
    deps: (kit) => ({ ...kit, config, sms: smsFrom(config, kit.logger) }),
    context: (base, deps): SocialContext => ({
      ...base,
      deps,
      loaders: createLoaders(deps, base.caller.userId),
      selfIds: new Set(base.caller.userId ? [base.caller.userId] : []),
    }),
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
