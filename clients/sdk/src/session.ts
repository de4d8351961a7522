import { isUnauthenticated, LoggedOutError } from './errors';
import { tokenTimes } from './jwt';

export interface SessionUser {
  id: string;
  nickname: string;
  role: string;
}

export interface Session {
  accessToken: string;
  /** ISO-8601. */
  accessTokenExpiresAt: string;
  refreshToken: string;
  user: SessionUser;
}

/** Where the session survives restarts (localStorage, SecureStore, a file…). */
export interface SessionStore {
  load(): Session | null | Promise<Session | null>;
  save(session: Session | null): void | Promise<void>;
}

export function memoryStore(initial: Session | null = null): SessionStore {
  let session = initial;
  return {
    load: () => session,
    save: (next) => {
      session = next;
    },
  };
}

/** How long after a failed early refresh the still-valid token is used without trying again. */
export const EARLY_RETRY_MS = 5_000;

export interface SessionManagerOptions {
  store: SessionStore;
  /** Trades a refresh token for a new session (the RefreshSession mutation, sent without a token). */
  refresh: (refreshToken: string) => Promise<Session>;
  onChange?: (session: Session | null) => void;
  /**
   * Refresh this long before the access token expires (default 30 s), but never earlier than two
   * thirds into its life, so a short-lived token is not refreshed on every request.
   */
  refreshSkewMs?: number;
  now?: () => number;
}

/**
 * Holds the session and refreshes it single-flight: however many callers find the access token
 * expired at once, one refreshSession goes out and they all get its result. Refresh tokens are
 * single use, so a second concurrent refresh with the same token would at best be wasted and at
 * worst revoke the session.
 */
export class SessionManager {
  private session: Session | null = null;
  private loading: Promise<void> | null = null;
  /** The refresh in flight, and the session it refreshes (a logIn meanwhile makes it not ours). */
  private inflight: { session: Session; promise: Promise<Session> } | null = null;
  /** After an early refresh failed, none before this: each would wait up to the request timeout. */
  private earlyRefreshAfter = 0;
  /**
   * When each access token we were given arrives on the device's clock, so expiry is judged by
   * its lifetime rather than by the server's clock (a device clock running fast would otherwise
   * see every token as expired and refresh on every request).
   */
  private receivedAt = new Map<string, number>();
  private readonly now: () => number;
  private readonly skewMs: number;

  constructor(private readonly options: SessionManagerOptions) {
    this.now = options.now ?? Date.now;
    this.skewMs = options.refreshSkewMs ?? 30_000;
  }

  /** The session as last known; null before the store was loaded or when logged out. */
  get(): Session | null {
    return this.session;
  }

  /** Loads the store once; later calls return the session in memory. */
  async current(): Promise<Session | null> {
    this.loading ??= Promise.resolve(this.options.store.load()).then((loaded) => {
      // A session set while the store was loading (a logIn) wins over the stored one.
      if (this.session === null && loaded) this.session = loaded;
    });
    await this.loading;
    return this.session;
  }

  async set(session: Session | null): Promise<void> {
    await this.current();
    this.session = session;
    this.earlyRefreshAfter = 0;
    this.receivedAt.clear();
    if (session) this.receivedAt.set(session.accessToken, this.now());
    await this.options.store.save(session);
    this.options.onChange?.(session);
  }

  /**
   * The access token to send, refreshed first when it is about to expire; null when logged out.
   * Rejects with LoggedOutError when the refresh finds the session revoked. When the refresh
   * fails otherwise (network, timeout) while the token is still valid, that token is used, and
   * no early refresh is tried again for EARLY_RETRY_MS.
   */
  async accessToken(): Promise<string | null> {
    const session = await this.current();
    if (!session) return null;
    const { refreshAt, expiresAt } = this.timing(session);
    const now = this.now();
    if (now < refreshAt || (now < expiresAt && now < this.earlyRefreshAfter)) return session.accessToken;
    try {
      return (await this.refresh(session.accessToken)).accessToken;
    } catch (err) {
      // Time has passed and the session may have been replaced while the refresh was out.
      const after = this.now();
      if (err instanceof LoggedOutError || after >= expiresAt || this.session !== session) throw err;
      this.earlyRefreshAfter = after + EARLY_RETRY_MS;
      return session.accessToken;
    }
  }

  /**
   * A fresh session. `staleAccessToken`: the token a caller found rejected or expiring — when the
   * session has moved on since (another caller refreshed), that newer session is the answer and
   * nothing is sent.
   */
  async refresh(staleAccessToken?: string): Promise<Session> {
    const session = await this.current();
    if (!session) throw new LoggedOutError('Not logged in');
    if (staleAccessToken !== undefined && session.accessToken !== staleAccessToken) return session;
    if (this.inflight?.session === session) return this.inflight.promise;
    const inflight = { session, promise: this.runRefresh(session) };
    this.inflight = inflight;
    try {
      return await inflight.promise;
    } finally {
      if (this.inflight === inflight) this.inflight = null;
    }
  }

  private async runRefresh(session: Session): Promise<Session> {
    let next: Session | undefined;
    let failure: unknown;
    try {
      next = await this.options.refresh(session.refreshToken);
    } catch (err) {
      failure = err;
    }
    // A logIn or logOut while the refresh was out: its session is the answer, whatever became of
    // this one (a 401 of the new user must not be retried with the old user's token).
    if (this.session !== session) {
      if (this.session) return this.session;
      throw new LoggedOutError('Logged out', failure === undefined ? undefined : { cause: failure });
    }
    if (next) {
      await this.set(next);
      return next;
    }
    // Revoked family or expired refresh token: no retry can help. Other failures (network, 5xx)
    // leave the session alone, so the next call tries again.
    if (isUnauthenticated(failure)) {
      await this.set(null);
      throw new LoggedOutError('Session ended: log in again', { cause: failure });
    }
    throw failure;
  }

  /** When to refresh the session's access token and when it expires, on the device's clock. */
  private timing(session: Session): { refreshAt: number; expiresAt: number } {
    const serverExpiresAt = Date.parse(session.accessTokenExpiresAt);
    if (Number.isNaN(serverExpiresAt)) return { refreshAt: Infinity, expiresAt: Infinity };
    const receivedAt = this.receivedAt.get(session.accessToken);
    // A stored session's token arrived at an unknown time: the server's expiry and the plain skew.
    if (receivedAt === undefined)
      return { refreshAt: serverExpiresAt - this.skewMs, expiresAt: serverExpiresAt };
    // The JWT's issue time and expiry are both the server's: their difference is the lifetime on
    // any clock. They are whole seconds and the token may have been made late in its `iat`
    // second, so a second less is what is surely left on arrival.
    const times = tokenTimes(session.accessToken);
    const lifetime = times ? (times.exp - times.iat - 1) * 1000 : serverExpiresAt - receivedAt;
    const expiresAt = receivedAt + lifetime;
    const skew = Math.min(this.skewMs, Math.max(0, lifetime / 3));
    return { refreshAt: expiresAt - skew, expiresAt };
  }
}
