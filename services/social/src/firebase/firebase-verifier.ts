import type { Auth, DecodedIdToken } from 'firebase-admin/auth';
import { badInput, forbidden } from '@moim/kit';
import type { FirebaseIdentity, FirebaseVerifier } from './verifier.port';

/** What our sign-in needs from a verified token's claims. */
export function identityOf(token: DecodedIdToken): FirebaseIdentity {
  return {
    uid: token.uid,
    email: typeof token.email === 'string' && token.email ? token.email : null,
    // Only an explicit true counts: a missing claim is an unverified email.
    emailVerified: token.email_verified === true,
    name: typeof token.name === 'string' && token.name.trim() ? token.name : null,
    provider: token.firebase?.sign_in_provider ?? 'unknown',
  };
}

/**
 * What firebase-admin's INVALID_ARGUMENT (`auth/argument-error`) was about, from its message: it
 * uses that one code for a malformed token, another project's, a bad signature or a missing
 * subject. Anything unrecognised gets the general answer.
 */
function invalidTokenMessage(detail: string): string {
  if (/incorrect "(aud|iss)"/.test(detail))
    return 'The Firebase ID token was not issued for this Firebase project';
  if (/^Decoding|must be a .* string/.test(detail)) return 'idToken is not a Firebase ID token';
  if (/custom token/.test(detail)) return 'idToken is a custom token, not a Firebase ID token';
  if (/"kid"|algorithm|signature/.test(detail)) return 'The Firebase ID token is not signed by Firebase';
  return 'The Firebase ID token is not valid';
}

/**
 * firebase-admin's errors as ours: what is wrong with the token is the client's to fix
 * (BAD_USER_INPUT on `idToken`, as the port says; a disabled Firebase account is FORBIDDEN);
 * anything else (Google's keys or the Auth emulator out of reach, no project id) is our failure
 * and stays an internal error.
 */
export function refusalOf(err: unknown): Error {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  switch (code) {
    case 'auth/id-token-expired':
      return badInput(
        'The Firebase ID token has expired: get a fresh one from Firebase and try again',
        'idToken',
      );
    case 'auth/id-token-revoked':
      return badInput('The Firebase ID token has been revoked: sign in to Firebase again', 'idToken');
    case 'auth/user-not-found':
      return badInput('The Firebase account this ID token was issued to no longer exists', 'idToken');
    case 'auth/user-disabled':
      return forbidden('This Firebase account is disabled');
    case 'auth/argument-error':
    case 'auth/invalid-argument':
    case 'auth/invalid-id-token':
      return badInput(invalidTokenMessage(message), 'idToken');
    default:
      return new Error(`Firebase could not verify the ID token (${String(code ?? 'no code')}): ${message}`, {
        cause: err,
      });
  }
}

/**
 * The verifier port on firebase-admin's Auth: `verifyIdToken` checks the signature against
 * Google's published keys (cached as their headers allow), the audience and issuer (this
 * project), the times and the subject, and (checkRevoked) that the account is neither disabled
 * nor signed out everywhere since the token was issued. With FIREBASE_AUTH_EMULATOR_HOST set it accepts the Auth
 * emulator's unsigned tokens instead and asks the emulator whether the account still exists and
 * is enabled (env.ts refuses it in production).
 */
export function createFirebaseVerifier(auth: Auth): FirebaseVerifier {
  return {
    async verify(idToken) {
      let decoded: DecodedIdToken;
      try {
        decoded = await auth.verifyIdToken(idToken, true);
      } catch (err) {
        throw refusalOf(err);
      }
      return identityOf(decoded);
    },
  };
}
