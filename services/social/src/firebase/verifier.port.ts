/** What a verified Firebase ID token says about its holder. */
export interface FirebaseIdentity {
  uid: string;
  email: string | null;
  emailVerified: boolean;
  /** The display name, when the provider gave one (Google does). */
  name: string | null;
  /** password, google.com, ... */
  provider: string;
}

/** Verifies Firebase Auth ID tokens; the real adapter is firebase-admin's Auth. */
export interface FirebaseVerifier {
  /**
   * Throws BAD_USER_INPUT (field idToken) for a token that is malformed, expired, revoked or
   * another project's, FORBIDDEN for a disabled Firebase account.
   */
  verify(idToken: string): Promise<FirebaseIdentity>;
}
