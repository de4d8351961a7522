import type { RequestContext, ServiceDeps } from '@moim/kit';
import type { SocialConfig } from '../env';
import type { SocialLoaders } from '../loaders';
import type { FirebaseVerifier } from '../firebase/verifier.port';
import type { PushSender } from '../push/push.port';
import type { SmsSender } from '../sms/sms.port';

/** What social's domain code needs beyond the kit's deps. */
export interface SocialDeps extends ServiceDeps {
  config: SocialConfig;
  sms: SmsSender;
  push: PushSender;
  /** Null when FIREBASE_PROJECT_ID is not set: signInWithFirebase is off. */
  firebase: FirebaseVerifier | null;
}

export interface SocialContext extends RequestContext {
  deps: SocialDeps;
  loaders: SocialLoaders;
  /**
   * Users this request may see private fields of: the caller, plus whoever just proved who they
   * are by signing up, logging in or refreshing in this request (the caller is anonymous then).
   */
  selfIds: Set<string>;
}
