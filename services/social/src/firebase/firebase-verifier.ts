import type { Auth } from 'firebase-admin/auth';
import type { FirebaseVerifier } from './verifier.port';

// TODO(helper C): firebase-admin Auth adapter.
export function createFirebaseVerifier(auth: Auth): FirebaseVerifier {
  void auth;
  return { verify: () => Promise.reject(new Error('not implemented')) };
}
