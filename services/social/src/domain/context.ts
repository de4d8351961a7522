import type { RequestContext, ServiceDeps } from '@moim/kit';
import type { SocialConfig } from '../env';
import type { SocialLoaders } from '../loaders';
import type { SmsSender } from '../sms/sms.port';

/** What social's domain code needs beyond the kit's deps. */
export interface SocialDeps extends ServiceDeps {
  config: SocialConfig;
  sms: SmsSender;
}

export interface SocialContext extends RequestContext {
  deps: SocialDeps;
  loaders: SocialLoaders;
}
