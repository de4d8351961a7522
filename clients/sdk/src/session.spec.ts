import { describe, expect, it } from 'vitest';
import { LoggedOutError, MoimGraphQLError } from './errors';
import { EARLY_RETRY_MS, SessionManager, type Session, type SessionStore } from './session';

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

/** An unsigned JWT-shaped token: only its claims matter to the client. */
const jwt = (claims: Record<string, unknown>) => {
  const part = (value: object) =>
    btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${part({ alg: 'HS256' })}.${part(claims)}.signature`;
};

describe('SessionManager when the session is replaced during a refresh (a logIn)', () => {
  it("gives a 401 of the new user the new user's session, never the old user's refreshed one", async () => {
    const bob = { id: 'u2', nickname: 'bob', role: 'USER' };
    const { manager, calls, saved } = setup(session(1, 999_000), async (token) =>
      token === 'refresh-1'
        ? later(session(2, 2_000_000), 20)
        : later({ ...session(4, 2_000_000), user: bob }, 40),
    );
    const oldCaller = manager.accessToken(); // finds access-1 expiring: refreshes alice's session
    await later(null, 5);
    await manager.set({ ...session(3, 2_000_000), user: bob }); // bob logs in meanwhile
    // Bob's request got a 401 (his token revoked, say): his own session is refreshed.
    const forBob = await manager.refresh('access-3');
    expect(forBob.accessToken).toBe('access-4');
    expect(await oldCaller).not.toBe('access-2');
    expect(calls).toEqual(['refresh-1', 'refresh-3']);
    expect(manager.get()?.accessToken).toBe('access-4');
    expect(saved.map((s) => s?.accessToken)).not.toContain('access-2');
  });
});

describe('SessionManager on a device clock that is off', () => {
  // The server issues 15-minute tokens; the device's clock runs 20 minutes ahead of it.
  const TTL_MS = 15 * 60_000;
  const AHEAD_MS = 20 * 60_000;

  it('judges expiry by the token lifetime on the device clock: no refresh per request', async () => {
    let serverNow = Date.UTC(2026, 10, 28, 12, 0, 0);
    let issued = 0;
    const issue = (): Session => {
      issued++;
      const iat = Math.floor(serverNow / 1000);
      return {
        // `n` keeps each token distinct, as real ones are.
        accessToken: jwt({ sub: 'u1', iat, exp: iat + TTL_MS / 1000, n: issued }),
        accessTokenExpiresAt: new Date(serverNow + TTL_MS).toISOString(),
        refreshToken: `refresh-${issued}`,
        user: { id: 'u1', nickname: 'alice', role: 'USER' },
      };
    };
    const { manager, calls } = setup(
      null,
      async () => issue(),
      () => serverNow + AHEAD_MS,
    );
    await manager.set(issue()); // a logIn: received now

    for (let i = 0; i < 5; i++) {
      serverNow += 60_000; // a request a minute, well inside the token's life
      expect(await manager.accessToken()).toBe(manager.get()!.accessToken);
    }
    expect(calls).toHaveLength(0);

    // The lifetime still runs out: 15 minutes after receipt (less the skew), one refresh.
    serverNow += TTL_MS;
    const before = manager.get()!.accessToken;
    expect(await manager.accessToken()).not.toBe(before);
    expect(calls).toHaveLength(1);
  });

  it('uses the server expiry for a stored session, whose arrival time is unknown', async () => {
    const iat = 1_000;
    const stored: Session = {
      accessToken: jwt({ iat, exp: iat + 900 }),
      accessTokenExpiresAt: new Date((iat + 900) * 1000).toISOString(),
      refreshToken: 'refresh-1',
      user: { id: 'u1', nickname: 'alice', role: 'USER' },
    };
    const { manager, calls } = setup(
      stored,
      async () => session(2, 10_000_000),
      () => (iat + 900) * 1000 + 1,
    );
    expect(await manager.accessToken()).toBe('access-2');
    expect(calls).toEqual(['refresh-1']);
  });
});

describe('SessionManager when a proactive refresh fails', () => {
  it('sends the still-valid token when the refresh fails for a network reason', async () => {
    let now = 0;
    const { manager, calls } = setup(
      null,
      async () => {
        throw new MoimGraphQLError('Network error: no answer within 15000 ms', { code: 'NETWORK_ERROR' });
      },
      () => now,
    );
    await manager.set(session(1, 900_000));
    now = 880_000; // inside the 30 s skew, not expired
    expect(await manager.accessToken()).toBe('access-1');
    expect(calls).toEqual(['refresh-1']);
    // Once it has expired, the failure is the caller's.
    now = 900_000;
    await expect(manager.accessToken()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });

  it('does not try again on every call: the token is used without waiting for a while', async () => {
    let now = 0;
    const { manager, calls } = setup(
      null,
      async () => {
        throw new MoimGraphQLError('Network error: no answer within 15000 ms', { code: 'NETWORK_ERROR' });
      },
      () => now,
    );
    await manager.set(session(1, 900_000));
    now = 875_000;
    expect(await manager.accessToken()).toBe('access-1');
    now += EARLY_RETRY_MS - 1;
    expect(await manager.accessToken()).toBe('access-1');
    expect(calls).toEqual(['refresh-1']);
    now += 1;
    expect(await manager.accessToken()).toBe('access-1');
    expect(calls).toEqual(['refresh-1', 'refresh-1']);
  });

  it('does not send the token when it expired while the refresh was out', async () => {
    let now = 0;
    const { manager } = setup(
      null,
      async () => {
        now = 900_000; // the refresh took until past the expiry, then failed
        throw new MoimGraphQLError('Network error: no answer within 15000 ms', { code: 'NETWORK_ERROR' });
      },
      () => now,
    );
    await manager.set(session(1, 900_000));
    now = 880_000;
    await expect(manager.accessToken()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });
  });

  it('answers with the new session when a logIn replaced it while the failed refresh was out', async () => {
    let now = 0;
    const holder: { manager?: SessionManager } = {};
    const { manager } = setup(
      null,
      async () => {
        await holder.manager!.set({
          ...session(3, 2_000_000),
          user: { id: 'u2', nickname: 'bob', role: 'USER' },
        });
        throw new MoimGraphQLError('Network error: offline', { code: 'NETWORK_ERROR' });
      },
      () => now,
    );
    holder.manager = manager;
    await manager.set(session(1, 900_000));
    now = 880_000;
    expect(await manager.accessToken()).toBe('access-3');
  });

  it('still reports an ended session rather than using the token', async () => {
    let now = 0;
    const { manager } = setup(
      null,
      async () => {
        throw new MoimGraphQLError('session revoked, log in again', { code: 'UNAUTHENTICATED', status: 200 });
      },
      () => now,
    );
    await manager.set(session(1, 900_000));
    now = 880_000;
    await expect(manager.accessToken()).rejects.toBeInstanceOf(LoggedOutError);
  });
});
