import { cert, getApp, initializeApp, type App } from 'firebase-admin/app';
import type { SocialConfig } from '../env';

/**
 * The Firebase app for the configured project, created once per project: with the service
 * account's credentials when there are some (Cloud Messaging needs them; verifying ID tokens
 * only needs the project id).
 */
export function firebaseApp(config: SocialConfig): App {
  const name = `moim-social-${config.FIREBASE_PROJECT_ID}`;
  try {
    return getApp(name);
  } catch {
    return initializeApp(
      {
        projectId: config.FIREBASE_PROJECT_ID,
        ...(config.GOOGLE_APPLICATION_CREDENTIALS
          ? { credential: cert(config.GOOGLE_APPLICATION_CREDENTIALS) }
          : {}),
      },
      name,
    );
  }
}
