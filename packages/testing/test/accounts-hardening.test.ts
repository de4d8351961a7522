import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CODES_PER_IP,
  CODES_PER_USER,
  RefreshTokenEntity,
  SIGN_UPS_PER_IP,
  UserEntity,
  type LocalSms,
  type SocialDeps,
} from '@moim/social';
import { randomClientIp, startGraph, type GqlResult, type Graph } from '../src';

// Issue 13, social's findings: sign-up throttled per client address (4) with "this email exists"
// answers behind the same limit (5), bad names, passwords and addresses refused (9), refresh
// retries within a grace window (10), no email in the logs of a failed login (11).

let graph: Graph;
beforeAll(async () => {
  graph = await startGraph();
});
afterAll(() => graph?.stop());

const social = () => graph.service<SocialDeps>('social').deps;
const userCount = () => social().db.dataSource.getRepository(UserEntity).count();
const codeOf = (res: GqlResult<unknown>) => res.errors?.[0]?.extensions?.code;
/** One client address of our own, shared by nobody else in the suite. */
const anAddress = randomClientIp;

const SIGN_UP =
  'mutation($i: SignUpInput!) { signUp(input: $i) { accessToken refreshToken user { id nickname } } }';
const signUpInput = (nickname: string) => ({
  email: `${nickname}-${randomUUID().slice(0, 8)}@example.com`,
  password: 'long-enough-pw',
  nickname,
});

describe('sign-up per client address', () => {
  it('answers "this email exists" only as often as it lets anyone sign up, counting before it checks', async () => {
    const owner = await graph.signUp('owner');
    const ip = anAddress();
    const before = await userCount();
    // Parallel probes of a registered email, in another spelling, from one address.
    const probes = await Promise.all(
      Array.from({ length: SIGN_UPS_PER_IP.max + 5 }, (_, i) =>
        graph.gql(
          SIGN_UP,
          { i: { ...signUpInput(`probe${i}`), email: owner.email.toUpperCase() } },
          undefined,
          {
            ip,
          },
        ),
      ),
    );
    const answered = probes.filter((r) => codeOf(r) === 'BAD_USER_INPUT');
    expect(answered).toHaveLength(SIGN_UPS_PER_IP.max);
    for (const r of answered) expect(r.errors?.[0]?.extensions?.field).toBe('email');
    const limited = probes.filter((r) => codeOf(r) === 'RATE_LIMITED');
    expect(limited).toHaveLength(5);
    for (const r of limited) expect(r.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);

    // A real sign-up from that address waits too; from another address it goes through.
    const fresh = signUpInput('fresh');
    expect(codeOf(await graph.gql(SIGN_UP, { i: fresh }, undefined, { ip }))).toBe('RATE_LIMITED');
    expect(await userCount()).toBe(before);
    const elsewhere = await graph.gql(SIGN_UP, { i: fresh });
    expect(elsewhere.errors).toBeUndefined();
    expect(await userCount()).toBe(before + 1);
  });

  it('counts an IPv6 client by its /64, however many of its addresses it uses', async () => {
    const owner = await graph.signUp('owner6');
    const net = `2001:db8:${randomInt(0x10000).toString(16)}:${randomInt(0x10000).toString(16)}`;
    const probes = await Promise.all(
      Array.from({ length: SIGN_UPS_PER_IP.max + 5 }, (_, i) =>
        graph.gql(SIGN_UP, { i: { ...signUpInput(`six${i}`), email: owner.email } }, undefined, {
          ip: `${net}::${(i + 1).toString(16)}`,
        }),
      ),
    );
    expect(probes.filter((r) => codeOf(r) === 'BAD_USER_INPUT')).toHaveLength(SIGN_UPS_PER_IP.max);
    expect(probes.filter((r) => codeOf(r) === 'RATE_LIMITED')).toHaveLength(5);
  });

  it('does not count input refused for its form', async () => {
    const ip = anAddress();
    for (let i = 0; i < SIGN_UPS_PER_IP.max + 1; i++) {
      const res = await graph.gql(
        SIGN_UP,
        { i: { ...signUpInput(`form${i}`), password: 'short' } },
        undefined,
        {
          ip,
        },
      );
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'password' });
    }
    expect(
      (await graph.gql(SIGN_UP, { i: signUpInput('formok') }, undefined, { ip })).errors,
    ).toBeUndefined();
  });
});

describe('phone codes per client address', () => {
  const REQUEST = 'mutation($p: String!) { requestPhoneCode(phone: $p) { expiresAt } }';
  const sent = () => (social().sms as LocalSms).sent.length;

  it('are capped however many accounts one address makes', async () => {
    const ip = anAddress();
    const accounts = [];
    for (let i = 0; i <= Math.floor(CODES_PER_IP.max / CODES_PER_USER.max); i++)
      accounts.push(await graph.signUp(`sms${i}`));
    const base = 1000_0000 + randomInt(8000_0000);
    // Each account stays within its own hourly limit; together they reach the address's.
    for (let i = 0; i < CODES_PER_IP.max; i++) {
      const account = accounts[Math.floor(i / CODES_PER_USER.max)]!;
      const res = await graph.gql(REQUEST, { p: `+8210${base + i}` }, account.token, { ip });
      expect(res.errors).toBeUndefined();
    }
    const before = sent();
    const last = accounts.at(-1)!;
    const over = await graph.gql(REQUEST, { p: `+8210${base + CODES_PER_IP.max}` }, last.token, { ip });
    expect(codeOf(over)).toBe('RATE_LIMITED');
    expect(sent()).toBe(before);
    // The account itself is not blocked elsewhere.
    const other = await graph.gql(REQUEST, { p: `+8210${base + CODES_PER_IP.max}` }, last.token);
    expect(other.errors).toBeUndefined();
  });
});

describe('names, passwords and addresses that only look right', () => {
  type Input = ReturnType<typeof signUpInput>;
  it.each<[string, (valid: Input) => Partial<Input>, string]>([
    ['a nickname of Hangul fillers', () => ({ nickname: '\u3164\u3164\u3164' }), 'nickname'],
    ['a nickname with a half-width Hangul filler', () => ({ nickname: 'ab\uffa0cd' }), 'nickname'],
    ['a nickname with a choseong filler', () => ({ nickname: '\u115fab' }), 'nickname'],
    ['a nickname with a zero-width space', () => ({ nickname: 'ad\u200bmin' }), 'nickname'],
    ['a Latin nickname with a Cyrillic а', () => ({ nickname: '\u0430dmin' }), 'nickname'],
    ['a Latin nickname with a Greek ο', () => ({ nickname: 'r\u03bfot' }), 'nickname'],
    ['a password of eight spaces', () => ({ password: '        ' }), 'password'],
    ['a common password', () => ({ password: 'password' }), 'password'],
    ['a common password in capitals', () => ({ password: 'Iloveyou' }), 'password'],
    ['the email as the password', (v) => ({ password: v.email.toUpperCase() }), 'password'],
    ['the local part as the password', (v) => ({ password: v.email.split('@')[0] }), 'password'],
    ['an email with a NUL', (v) => ({ email: `\u0000${v.email}` }), 'email'],
    ['an email with a control character', (v) => ({ email: `\u001b${v.email}` }), 'email'],
    ['an email with angle brackets', (v) => ({ email: `<${v.email}>` }), 'email'],
    ['an email with a space inside', (v) => ({ email: `a ${v.email}` }), 'email'],
  ])('refuses %s, writing nothing', async (_, change, field) => {
    const valid = signUpInput(`probe${randomInt(1_000_000)}`);
    const before = await userCount();
    const res = await graph.gql(SIGN_UP, { i: { ...valid, ...change(valid) } });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(await userCount()).toBe(before);
  });

  it('accepts a Korean nickname with Latin letters and digits', async () => {
    const res = await graph.gql<{ signUp: { user: { nickname: string } } }>(SIGN_UP, {
      i: signUpInput('맛집_lover1'),
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.signUp.user.nickname).toBe('맛집_lover1');
  });

  it('refuses a look-alike nickname on a profile change too', async () => {
    const u = await graph.signUp('plain');
    const res = await graph.gql(
      'mutation($n: String!) { updateProfile(input: { nickname: $n }) { nickname } }',
      { n: 'pl\u0430in' },
      u.token,
    );
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'nickname' });
    const row = await social().db.dataSource.getRepository(UserEntity).findOneByOrFail({ id: u.id });
    expect(row.nickname).toBe('plain');
  });

  it('refuses a nickname that looks like one taken, in another alphabet or with a dotless i', async () => {
    await graph.signUp('coco');
    await graph.signUp('admin_kim');
    const before = await userCount();
    for (const nickname of ['сосо', 'admın_kim']) {
      const res = await graph.gql(SIGN_UP, { i: { ...signUpInput('x'), nickname } });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'nickname' });
    }
    expect(await userCount()).toBe(before);
  });
});

describe('refresh retries within the grace window', () => {
  const REFRESH = 'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }';
  type Refresh = { refreshSession: { accessToken: string; refreshToken: string } };
  const refresh = (t: string) => graph.gql<Refresh>(REFRESH, { t });
  const tokens = () => social().db.dataSource.getRepository(RefreshTokenEntity);
  const idOf = (token: string) => token.split('.')[0]!;

  it('give five parallel refreshes with one token the same new refresh token, and working access tokens', async () => {
    const u = await graph.signUp('retrier');
    const results = await Promise.all(Array.from({ length: 5 }, () => refresh(u.refreshToken)));
    expect(results.map((r) => r.errors)).toEqual(Array(5).fill(undefined));
    const next = new Set(results.map((r) => r.data.refreshSession.refreshToken));
    expect(next.size).toBe(1);
    const [successor] = [...next];
    expect(successor).not.toBe(u.refreshToken);
    for (const r of results) {
      const me = await graph.gql<{ me: { id: string } }>(
        '{ me { id } }',
        {},
        r.data.refreshSession.accessToken,
      );
      expect(me.data.me.id).toBe(u.id);
    }

    // Stored: which token replaced the old one, and hashes only.
    const old = await tokens().findOneByOrFail({ id: idOf(u.refreshToken) });
    expect(old.replacedBy).toBe(idOf(successor!));
    expect(old.usedAt).not.toBeNull();
    const stored = await tokens().findOneByOrFail({ id: idOf(successor!) });
    expect(stored.secretHash).not.toContain(successor!.split('.')[1]);

    // The successor rotates as usual.
    const after = await refresh(successor!);
    expect(after.errors).toBeUndefined();
    expect(after.data.refreshSession.refreshToken).not.toBe(successor);
  });

  it('still revoke the session when a used token comes back after the window', async () => {
    const u = await graph.signUp('latecomer');
    const first = await refresh(u.refreshToken);
    const next = first.data.refreshSession.refreshToken;
    // As if the window had passed: the token was rotated longer ago than the grace allows.
    const graceMs = social().config.REFRESH_GRACE_SECONDS * 1000;
    await tokens().update({ id: idOf(u.refreshToken) }, { usedAt: new Date(Date.now() - graceMs - 1000) });

    const reuse = await refresh(u.refreshToken);
    expect(codeOf(reuse)).toBe('UNAUTHENTICATED');
    expect(reuse.errors?.[0]?.message).toMatch(/already used/);
    const afterReuse = await refresh(next);
    expect(afterReuse.errors?.[0]?.message).toMatch(/revoked/);
  });

  it('still revoke the session when a used token comes back after its successor was used', async () => {
    const u = await graph.signUp('replayer');
    const second = (await refresh(u.refreshToken)).data.refreshSession.refreshToken;
    const third = (await refresh(second)).data.refreshSession.refreshToken;
    const replay = await refresh(u.refreshToken);
    expect(replay.errors?.[0]?.message).toMatch(/already used/);
    expect((await refresh(third)).errors?.[0]?.message).toMatch(/revoked/);
  });
});

describe('logs of failed logins', () => {
  const LOG_IN =
    'mutation($e: String!, $p: String!) { logIn(input: { email: $e, password: $p }) { accessToken } }';

  it('hold no email, only the account id when there is an account', async () => {
    const u = await graph.signUp('quiet');
    const unknown = `nobody-${randomUUID().slice(0, 8)}@example.com`;
    const logger = social().logger;
    const calls: unknown[][] = [];
    const spies = (['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const).map((level) =>
      vi.spyOn(logger, level).mockImplementation(((...args: unknown[]) => {
        calls.push(args);
      }) as never),
    );
    try {
      expect(codeOf(await graph.gql(LOG_IN, { e: u.email, p: 'not-the-password' }))).toBe('UNAUTHENTICATED');
      expect(codeOf(await graph.gql(LOG_IN, { e: unknown, p: 'not-the-password' }))).toBe('UNAUTHENTICATED');
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    const logged = JSON.stringify(calls);
    expect(calls).toContainEqual([{ userId: u.id }, 'login failed']);
    for (const personal of [u.email, u.email.split('@')[0], unknown, unknown.split('@')[0]])
      expect(logged).not.toContain(personal);
  });
});
