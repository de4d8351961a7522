import { describe, expect, it } from 'vitest';
import { LoggedOutError, MoimGraphQLError } from './errors';
import { SessionManager, type Session, type SessionStore } from './session';

// The single-flight logic alone, with a scripted refresh; test/sdk.test.ts holds it against the
// real graph.

const session = (n: number, expiresAt: number): Session => ({
  accessToken: `access-${n}`,
  accessTokenExpiresAt: new Date(expiresAt).toISOString(),
  refreshToken: `refresh-${n}`,
  user: { id: 'u1', nickname: 'alice', role: 'USER' },
});

function setup(initial: Session | null, refresh: (token: string) => Promise<Session>, now = () => 1_000_000) {
  const saved: Array<Session | null> = [];
  const calls: string[] = [];
  let stored = initial;
  const store: SessionStore = {
    // Async, as SecureStore or IndexedDB would be.
    load: async () => stored,
    save: async (s) => {
      saved.push(s);
      stored = s;
    },
  };
  const manager = new SessionManager({
    store,
    now,
    refresh: async (token) => {
      calls.push(token);
      return refresh(token);
    },
  });
  return { manager, saved, calls };
}

const later = <T>(value: T, ms = 20) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('SessionManager', () => {
  it('sends one refresh for many callers finding the token expired, and hands them all its result', async () => {
    const { manager, saved, calls } = setup(session(1, 999_000), () => later(session(2, 2_000_000)));
    const tokens = await Promise.all(Array.from({ length: 20 }, () => manager.accessToken()));
    expect(calls).toEqual(['refresh-1']);
    expect(tokens).toEqual(Array(20).fill('access-2'));
    expect(saved).toEqual([session(2, 2_000_000)]);
  });

  it('does not refresh again for a caller whose rejected token was already replaced', async () => {
    const { manager, calls } = setup(session(1, 2_000_000), () => later(session(2, 2_000_000)));
    const rejected = await manager.accessToken();
    // Twenty 401s for the same token, some arriving after the refresh is done.
    const first = await Promise.all(Array.from({ length: 10 }, () => manager.refresh(rejected!)));
    const late = await Promise.all(Array.from({ length: 10 }, () => manager.refresh(rejected!)));
    expect(calls).toEqual(['refresh-1']);
    expect([...first, ...late].map((s) => s.accessToken)).toEqual(Array(20).fill('access-2'));
  });

  it('ends the session for every waiting caller when the refresh is refused as unauthenticated', async () => {
    const { manager, saved, calls } = setup(session(1, 999_000), async () => {
      await later(null);
      throw new MoimGraphQLError('session revoked, log in again', { code: 'UNAUTHENTICATED', status: 200 });
    });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => manager.accessToken()));
    expect(calls).toHaveLength(1);
    for (const r of results) expect(r.status === 'rejected' && r.reason).toBeInstanceOf(LoggedOutError);
    expect(manager.get()).toBeNull();
    expect(saved).toEqual([null]);
    // Logged out is anonymous from then on, with nothing more sent.
    expect(await manager.accessToken()).toBeNull();
    expect(calls).toHaveLength(1);
  });

  it('keeps the session when the refresh fails for another reason, and tries again next time', async () => {
    let fail = true;
    const { manager, saved, calls } = setup(session(1, 999_000), async () => {
      if (fail) throw new MoimGraphQLError('Network error: offline', { code: 'NETWORK_ERROR' });
      return session(2, 2_000_000);
    });
    await expect(manager.accessToken()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
    expect(manager.get()?.accessToken).toBe('access-1');
    expect(saved).toEqual([]);
    fail = false;
    expect(await manager.accessToken()).toBe('access-2');
    expect(calls).toEqual(['refresh-1', 'refresh-1']);
  });

  it('refreshes 30 s before expiry, or two thirds into the life of a short-lived token', async () => {
    let now = 0;
    const long = setup(
      session(1, 900_000),
      async () => session(2, 10_000_000),
      () => now,
    );
    now = 869_000;
    expect(await long.manager.accessToken()).toBe('access-1');
    now = 871_000;
    expect(await long.manager.accessToken()).toBe('access-2');

    now = 0;
    const short = setup(
      null,
      async () => session(2, 10_000_000),
      () => now,
    );
    await short.manager.set(session(1, 3_000)); // as a logIn does: its life is known
    expect(await short.manager.accessToken()).toBe('access-1');
    now = 1_900;
    expect(await short.manager.accessToken()).toBe('access-1');
    now = 2_100;
    expect(await short.manager.accessToken()).toBe('access-2');
  });
});
