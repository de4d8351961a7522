import type { Auth, DecodedIdToken } from 'firebase-admin/auth';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createFirebaseVerifier, identityOf, refusalOf } from './firebase-verifier';

const decoded = (claims: Partial<DecodedIdToken>): DecodedIdToken =>
  ({
    uid: 'uid-1',
    sub: 'uid-1',
    aud: 'moim-test',
    iss: 'https://securetoken.google.com/moim-test',
    iat: 0,
    exp: 0,
    auth_time: 0,
    firebase: { identities: {}, sign_in_provider: 'google.com' },
    ...claims,
  }) as DecodedIdToken;

/** An Auth whose verifyIdToken answers or fails as told. */
const authThat = (outcome: () => Promise<DecodedIdToken>) => ({ verifyIdToken: outcome }) as unknown as Auth;

const extensionsOf = (err: unknown) => (err instanceof GraphQLError ? err.extensions : null);

describe('the firebase-admin verifier adapter', () => {
  it('maps the decoded token to an identity; only an explicit true verifies an email', async () => {
    const verifier = createFirebaseVerifier(
      authThat(async () => decoded({ email: 'a@example.com', email_verified: true, name: 'Ann' })),
    );
    expect(await verifier.verify('token')).toEqual({
      uid: 'uid-1',
      email: 'a@example.com',
      emailVerified: true,
      name: 'Ann',
      provider: 'google.com',
    });
    expect(identityOf(decoded({ email: 'a@example.com' }))).toMatchObject({
      emailVerified: false,
      name: null,
    });
    expect(identityOf(decoded({ email: '', name: '  ' }))).toMatchObject({ email: null, name: null });
  });

  it('turns firebase-admin’s refusals into client errors on idToken', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['auth/id-token-expired', 'BAD_USER_INPUT', /expired/],
      ['auth/id-token-revoked', 'BAD_USER_INPUT', /revoked/],
      ['auth/user-not-found', 'BAD_USER_INPUT', /no longer exists/],
      ['auth/argument-error', 'BAD_USER_INPUT', /not valid/],
      ['auth/user-disabled', 'FORBIDDEN', /disabled/],
    ];
    for (const [code, ours, message] of cases) {
      const err = refusalOf(Object.assign(new Error('x'), { code }));
      expect(extensionsOf(err)?.code).toBe(ours);
      expect(err.message).toMatch(message);
    }
    const aud = refusalOf(
      Object.assign(new Error('Firebase ID token has incorrect "aud" (audience) claim.'), {
        code: 'auth/argument-error',
      }),
    );
    expect(extensionsOf(aud)).toEqual({ code: 'BAD_USER_INPUT', field: 'idToken' });
    expect(aud.message).toMatch(/not issued for this Firebase project/);
  });

  it('leaves its own failures (network, credentials) internal errors, not the client’s', async () => {
    const verifier = createFirebaseVerifier(
      authThat(() => Promise.reject(Object.assign(new Error('ECONNREFUSED'), { code: 'app/network-error' }))),
    );
    const err = await verifier.verify('token').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(GraphQLError);
    expect((err as Error).message).toMatch(/app\/network-error/);
  });
});
