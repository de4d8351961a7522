import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KnownUserEntity } from '@moim/review';
import { UserEntity, type SocialDeps } from '@moim/social';
import { randomClientIp, startGraph, TEST_PASSWORD, type GqlResult, type Graph } from '../src';

// Issue 14, scope 9: signInWithFirebase through the gateway, with the real firebase-admin
// verifier in its Auth emulator mode. With FIREBASE_AUTH_EMULATOR_HOST set, firebase-admin
// (lib/auth/token-verifier.js) accepts unsigned tokens (`alg: none`) and fetches no keys from
// Google, but still checks everything else: the audience is the project id, the issuer is
// https://securetoken.google.com/<project>, a subject of 1 to 128 characters, the expiry; then
// (lib/auth/base-auth.js) it always asks the emulator for the account (accounts:lookup) to
// refuse disabled accounts and revoked tokens. The emulator here is a stand-in that answers
// that one call from `firebaseUsers`, and records every call.

const PROJECT = 'moim-test';

interface EmulatedUser {
  localId: string;
  disabled?: boolean;
  /** Seconds since the epoch: tokens authenticated before it are revoked. */
  validSince?: string;
}
const firebaseUsers = new Map<string, EmulatedUser>();
const lookups: Array<{ url: string; localId: string[]; authorization: string | undefined }> = [];

function startEmulator(): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = (status: number, body: object) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (
        req.method !== 'POST' ||
        req.url !== `/identitytoolkit.googleapis.com/v1/projects/${PROJECT}/accounts:lookup`
      )
        return answer(404, { error: { code: 404, message: 'NOT_FOUND' } });
      const { localId = [] } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { localId?: string[] };
      lookups.push({ url: req.url, localId, authorization: req.headers.authorization });
      const users = localId.flatMap((uid) => firebaseUsers.get(uid) ?? []);
      // What the emulator answers: no `users` at all when there is none.
      answer(200, { kind: 'identitytoolkit#GetAccountInfoResponse', ...(users.length ? { users } : {}) });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An ID token as the Auth emulator issues them: unsigned, with Firebase's claims. */
function idToken(uid: string, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: `https://securetoken.google.com/${PROJECT}`,
    aud: PROJECT,
    auth_time: now,
    user_id: uid,
    sub: uid,
    iat: now,
    exp: now + 3600,
    firebase: { identities: {}, sign_in_provider: 'password' },
    ...claims,
  };
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

/** A Firebase account the emulator knows, and a token for it. */
function firebaseAccount(claims: { email?: string; email_verified?: boolean; name?: string } = {}) {
  const uid = `fb${randomUUID().replaceAll('-', '')}`;
  firebaseUsers.set(uid, { localId: uid });
  return { uid, token: (more: Record<string, unknown> = {}) => idToken(uid, { ...claims, ...more }) };
}

const SIGN_IN =
  'mutation($t: String!) { signInWithFirebase(idToken: $t) { accessToken accessTokenExpiresAt refreshToken user { id nickname } } }';
type SignIn = {
  signInWithFirebase: {
    accessToken: string;
    refreshToken: string;
    user: { id: string; nickname: string };
  };
};
const codeOf = (res: GqlResult<unknown>) => res.errors?.[0]?.extensions?.code;
const fieldOf = (res: GqlResult<unknown>) => res.errors?.[0]?.extensions?.field;
const messageOf = (res: GqlResult<unknown>) => res.errors?.[0]?.message ?? '';
const uniqueEmail = (name: string) => `${name}-${randomUUID().slice(0, 8)}@example.com`;
/** Random lower-case letters: a name part that never ends in a digit. */
const letters = (n: number) => Array.from(randomBytes(n), (b) => String.fromCharCode(97 + (b % 26))).join('');

describe('with FIREBASE_PROJECT_ID', () => {
  let graph: Graph;
  let emulator: Server;
  beforeAll(async () => {
    emulator = await startEmulator();
    // Read when social creates its firebase-admin Auth, in startGraph.
    process.env.FIREBASE_AUTH_EMULATOR_HOST = `127.0.0.1:${(emulator.address() as AddressInfo).port}`;
    graph = await startGraph({ env: { social: { FIREBASE_PROJECT_ID: PROJECT } } });
  });
  afterAll(async () => {
    await graph?.stop();
    delete process.env.FIREBASE_AUTH_EMULATOR_HOST;
    emulator?.close();
    if (emulator) await once(emulator, 'close');
  });

  const users = () => graph.service<SocialDeps>('social').deps.db.dataSource.getRepository(UserEntity);
  const signIn = (token: string, ip?: string) =>
    graph.gql<SignIn>(SIGN_IN, { t: token }, undefined, ip ? { ip } : {});
  const me = (accessToken: string) =>
    graph.gql<{ me: { id: string; email: string } | null }>('{ me { id email } }', {}, accessToken);
  const logIn = (email: string, password: string) =>
    graph.gql<{ logIn: { user: { id: string } } }>(
      'mutation($i: LogInInput!) { logIn(input: $i) { user { id } } }',
      { i: { email, password } },
    );

  it('creates an account on first use, through firebase-admin, with tokens that work', async () => {
    const email = uniqueEmail('first');
    const account = firebaseAccount({ email, email_verified: true, name: 'Kim Min-su' });
    const lookupsBefore = lookups.length;

    const res = await signIn(account.token());
    expect(res.errors).toBeUndefined();
    const payload = res.data.signInWithFirebase;
    expect(payload.user.nickname).toBe('Kim_Min_su');
    // firebase-admin asked the emulator about this account, as the Auth client it is.
    expect(lookups.slice(lookupsBefore)).toEqual([
      {
        url: `/identitytoolkit.googleapis.com/v1/projects/${PROJECT}/accounts:lookup`,
        localId: [account.uid],
        authorization: 'Bearer owner',
      },
    ]);

    expect((await me(payload.accessToken)).data.me).toEqual({ id: payload.user.id, email });
    const refreshed = await graph.gql<{ refreshSession: { user: { id: string } } }>(
      'mutation($r: String!) { refreshSession(refreshToken: $r) { user { id } } }',
      { r: payload.refreshToken },
    );
    expect(refreshed.data.refreshSession.user.id).toBe(payload.user.id);

    const row = await users().findOneByOrFail({ id: payload.user.id });
    expect(row).toMatchObject({ email, firebaseUid: account.uid, role: 'USER' });
    // Announced as sign-up does: review learns the user from user.created.
    await graph.settled();
    expect(
      await graph
        .service('review')
        .deps.db.dataSource.getRepository(KnownUserEntity)
        .existsBy({ id: row.id }),
    ).toBe(true);

    // No password opens it: logIn refuses as for any wrong password, and does not fail.
    for (const password of [TEST_PASSWORD, '', row.passwordHash]) {
      const login = await logIn(email, password);
      expect(codeOf(login)).toBe('UNAUTHENTICATED');
      expect(messageOf(login)).toBe('Email or password is incorrect');
    }
  });

  it('finds the same account for the same uid, whatever the token says since', async () => {
    const email = uniqueEmail('again');
    const account = firebaseAccount({ email, email_verified: true });
    const first = await signIn(account.token());
    expect(first.errors).toBeUndefined();
    const count = await users().count();

    // Later tokens of the same Firebase account, even with another email or none verified.
    for (const token of [
      account.token(),
      account.token({ email: uniqueEmail('moved'), email_verified: false }),
    ]) {
      const again = await signIn(token);
      expect(again.errors).toBeUndefined();
      expect(again.data.signInWithFirebase.user.id).toBe(first.data.signInWithFirebase.user.id);
    }
    expect(await users().count()).toBe(count);
    expect(await users().findOneByOrFail({ id: first.data.signInWithFirebase.user.id })).toMatchObject({
      email,
      firebaseUid: account.uid,
    });
  });

  it('derives a free nickname: the display name, else the email, with a number when taken', async () => {
    const name = `Ada ${letters(6)}`;
    const expected = name.replace(' ', '_');
    const nicknames: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await signIn(
        firebaseAccount({ email: uniqueEmail('ada'), email_verified: true, name }).token(),
      );
      expect(res.errors).toBeUndefined();
      nicknames.push(res.data.signInWithFirebase.user.nickname);
    }
    expect(nicknames).toEqual([expected, `${expected}2`, `${expected}3`]);

    // No usable display name (one letter, alphabets that look alike mixed): the email's local part.
    const local = `grace.h_${letters(6)}`;
    for (const [displayName, domain, nickname] of [
      ['G', 'example.com', local],
      ['Алекс Smith', 'example.org', `${local}2`],
    ] as const) {
      const email = `${local}@${domain}`;
      const res = await signIn(firebaseAccount({ email, email_verified: true, name: displayName }).token());
      expect(res.errors).toBeUndefined();
      expect(res.data.signInWithFirebase.user.nickname).toBe(nickname);
    }
  });

  it('settles sign-ins that race: one account per uid, one nickname per account', async () => {
    const count = await users().count();
    const account = firebaseAccount({ email: uniqueEmail('racer'), email_verified: true });
    const same = await Promise.all([1, 2, 3].map(() => signIn(account.token())));
    for (const res of same) expect(res.errors).toBeUndefined();
    expect(new Set(same.map((r) => r.data.signInWithFirebase.user.id)).size).toBe(1);
    expect(await users().countBy({ firebaseUid: account.uid })).toBe(1);

    const name = `Twin ${letters(6)}`;
    const twins = await Promise.all(
      [1, 2, 3].map(() =>
        signIn(firebaseAccount({ email: uniqueEmail('twin'), email_verified: true, name }).token()),
      ),
    );
    for (const res of twins) expect(res.errors).toBeUndefined();
    const base = name.replace(' ', '_');
    expect(twins.map((r) => r.data.signInWithFirebase.user.nickname).sort()).toEqual([
      base,
      `${base}2`,
      `${base}3`,
    ]);
    expect(await users().count()).toBe(count + 4);
  });

  it('links a password account with the same verified email, closing the doors its email owner never opened', async () => {
    const owner = await graph.signUp('linkme');
    // Another spelling of the same address: emails are compared by their normalised key.
    const account = firebaseAccount({
      email: owner.email.toUpperCase(),
      email_verified: true,
      name: 'Someone Else',
    });
    const count = await users().count();

    const res = await signIn(account.token());
    expect(res.errors).toBeUndefined();
    expect(res.data.signInWithFirebase.user).toEqual({ id: owner.id, nickname: 'linkme' });
    expect(await users().count()).toBe(count);
    expect(await users().findOneByOrFail({ id: owner.id })).toMatchObject({
      email: owner.email,
      firebaseUid: account.uid,
    });
    expect((await me(res.data.signInWithFirebase.accessToken)).data.me).toEqual({
      id: owner.id,
      email: owner.email,
    });

    // Sign-up never verified the email, so whoever chose that password may not be its owner:
    // the password no longer opens the account and the sessions it opened are revoked.
    const login = await logIn(owner.email, TEST_PASSWORD);
    expect(login.errors?.[0]?.message).toBe('Email or password is incorrect');
    const refreshed = await graph.gql(
      'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }',
      { t: owner.refreshToken },
    );
    expect(refreshed.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // The Firebase identity is the way in now.
    const again = await signIn(account.token());
    expect(again.data.signInWithFirebase.user.id).toBe(owner.id);
  });

  it('never takes over an account: an unverified email, or one linked to another Firebase account', async () => {
    const owner = await graph.signUp('keepme');
    const before = await users().findOneByOrFail({ id: owner.id });
    const count = await users().count();

    const unverified = await signIn(firebaseAccount({ email: owner.email, email_verified: false }).token());
    expect(codeOf(unverified)).toBe('BAD_USER_INPUT');
    expect(fieldOf(unverified)).toBe('idToken');
    expect(messageOf(unverified)).toMatch(/verified email/);
    // The claim missing is not a verified email either.
    const unsaid = await signIn(firebaseAccount({ email: owner.email }).token());
    expect(codeOf(unsaid)).toBe('BAD_USER_INPUT');
    expect(await users().findOneByOrFail({ id: owner.id })).toEqual(before);

    // Without an account the answer is the same, so it tells nobody who has one; none is made.
    const stranger = await signIn(
      firebaseAccount({ email: uniqueEmail('nobody'), email_verified: false }).token(),
    );
    expect(codeOf(stranger)).toBe('BAD_USER_INPUT');
    expect(messageOf(stranger)).toBe(messageOf(unverified));
    const noEmail = await signIn(firebaseAccount({}).token({ firebase: { sign_in_provider: 'phone' } }));
    expect(codeOf(noEmail)).toBe('BAD_USER_INPUT');
    expect(await users().count()).toBe(count);

    // Linked once; a second Firebase account with the same (verified) email gets nothing.
    const first = firebaseAccount({ email: owner.email, email_verified: true });
    expect((await signIn(first.token())).data.signInWithFirebase.user.id).toBe(owner.id);
    const second = await signIn(firebaseAccount({ email: owner.email, email_verified: true }).token());
    expect(codeOf(second)).toBe('FORBIDDEN');
    expect(messageOf(second)).toMatch(/linked to another Firebase account/);
    expect(await users().findOneByOrFail({ id: owner.id })).toMatchObject({ firebaseUid: first.uid });
    expect(await users().count()).toBe(count);
  });

  it('refuses tokens firebase-admin does not accept, with a clear code, and writes nothing', async () => {
    const account = firebaseAccount({ email: uniqueEmail('refused'), email_verified: true });
    const now = Math.floor(Date.now() / 1000);
    const other = 'another-project';
    const count = await users().count();
    const lookupsBefore = lookups.length;

    const cases: Array<[string, string, RegExp]> = [
      ['expired', account.token({ iat: now - 7200, auth_time: now - 7200, exp: now - 3600 }), /expired/],
      [
        "another project's",
        account.token({ aud: other, iss: `https://securetoken.google.com/${other}` }),
        /not issued for this Firebase project/,
      ],
      [
        'from another issuer',
        account.token({ iss: 'https://evil.example.com/moim-test' }),
        /not issued for this Firebase project/,
      ],
      ['without a subject', account.token({ sub: '' }), /not valid/],
      ['garbage', 'not-a-jwt', /not a Firebase ID token/],
      ['signed with a key nobody checks', `${account.token().slice(0, -1)}.c2lnbmF0dXJl`, /not/],
      ['empty', '', /not a Firebase ID token/],
      ['too long', 'x'.repeat(10_000), /not a Firebase ID token/],
    ];
    for (const [name, token, message] of cases) {
      const res = await signIn(token);
      expect({ name, code: codeOf(res), field: fieldOf(res) }).toEqual({
        name,
        code: 'BAD_USER_INPUT',
        field: 'idToken',
      });
      expect(messageOf(res)).toMatch(message);
    }
    // firebase-admin refused each before asking the emulator about the account.
    expect(lookups.length).toBe(lookupsBefore);
    expect(await users().count()).toBe(count);
    expect(await users().existsBy({ firebaseUid: account.uid })).toBe(false);
  });

  it('refuses revoked tokens, disabled Firebase accounts and deleted ones, as the emulator says', async () => {
    const now = Math.floor(Date.now() / 1000);
    const revoked = firebaseAccount({ email: uniqueEmail('revoked'), email_verified: true });
    firebaseUsers.set(revoked.uid, { localId: revoked.uid, validSince: String(now + 60) });
    const disabled = firebaseAccount({ email: uniqueEmail('disabled'), email_verified: true });
    firebaseUsers.set(disabled.uid, { localId: disabled.uid, disabled: true });
    const deleted = firebaseAccount({ email: uniqueEmail('deleted'), email_verified: true });
    firebaseUsers.delete(deleted.uid);
    const count = await users().count();

    const results = {
      revoked: await signIn(revoked.token()),
      disabled: await signIn(disabled.token()),
      deleted: await signIn(deleted.token()),
    };
    expect(codeOf(results.revoked)).toBe('BAD_USER_INPUT');
    expect(messageOf(results.revoked)).toMatch(/revoked/);
    expect(codeOf(results.disabled)).toBe('FORBIDDEN');
    expect(messageOf(results.disabled)).toMatch(/disabled/);
    expect(codeOf(results.deleted)).toBe('BAD_USER_INPUT');
    expect(messageOf(results.deleted)).toMatch(/no longer exists/);
    expect(await users().count()).toBe(count);
  });

  it('counts sign-in attempts per client address, in one budget with logIn', async () => {
    const ip = randomClientIp();
    const count = await users().count();
    // logIn's budget: 30 attempts in 15 minutes from one address.
    for (let i = 0; i < 30; i++) expect(codeOf(await signIn('not-a-jwt', ip))).toBe('BAD_USER_INPUT');
    const limited = await signIn(
      firebaseAccount({ email: uniqueEmail('limited'), email_verified: true }).token(),
      ip,
    );
    expect(codeOf(limited)).toBe('RATE_LIMITED');
    expect(limited.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    const login = await graph.gql(
      'mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }',
      { i: { email: 'nobody@example.com', password: 'wrong-password' } },
      undefined,
      { ip },
    );
    expect(codeOf(login)).toBe('RATE_LIMITED');
    expect(await users().count()).toBe(count);
  });
});

describe('without FIREBASE_PROJECT_ID', () => {
  let graph: Graph;
  beforeAll(async () => {
    graph = await startGraph();
  });
  afterAll(() => graph?.stop());

  it('refuses Firebase sign-in as not enabled, and writes nothing', async () => {
    const count = await graph
      .service<SocialDeps>('social')
      .deps.db.dataSource.getRepository(UserEntity)
      .count();
    const res = await graph.gql(SIGN_IN, {
      t: idToken('someone', { email: 'a@example.com', email_verified: true }),
    });
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(messageOf(res)).toBe('Firebase sign-in is not enabled on this server');
    expect(
      await graph.service<SocialDeps>('social').deps.db.dataSource.getRepository(UserEntity).count(),
    ).toBe(count);
  });
});
