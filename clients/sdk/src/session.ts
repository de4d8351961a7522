import { isUnauthenticated, LoggedOutError } from './errors';

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
  private inflight: Promise<Session> | null = null;
  /** When the access token we were given arrived, on our clock, to place the proactive refresh. */
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
    this.receivedAt.clear();
    if (session) this.receivedAt.set(session.accessToken, this.now());
    await this.options.store.save(session);
    this.options.onChange?.(session);
  }

  /**
   * The access token to send, refreshed first when it is about to expire; null when logged out.
   * Rejects with LoggedOutError when the refresh finds the session revoked.
   */
  async accessToken(): Promise<string | null> {
    const session = await this.current();
    if (!session) return null;
    if (!this.expiresSoon(session)) return session.accessToken;
    return (await this.refresh(session.accessToken)).accessToken;
  }

  /**
   * A fresh session. `staleAccessToken`: the token a caller found rejected or expiring — when the
   * session has moved on since (another caller refreshed), that newer session is the answer and
   * nothing is sent.
   */
  async refresh(staleAccessToken?: string): Promise<Session> {
    if (this.inflight) return this.inflight;
    const session = await this.current();
    if (this.inflight) return this.inflight;
    if (!session) throw new LoggedOutError('Not logged in');
    if (staleAccessToken !== undefined && session.accessToken !== staleAccessToken) return session;
    const inflight = this.runRefresh(session);
    this.inflight = inflight;
    try {
      return await inflight;
    } finally {
      if (this.inflight === inflight) this.inflight = null;
    }
  }

  private async runRefresh(session: Session): Promise<Session> {
    let next: Session;
    try {
      next = await this.options.refresh(session.refreshToken);
    } catch (err) {
      // Revoked family or expired refresh token: no retry can help. Other failures (network,
      // 5xx) leave the session alone, so the next call tries again.
      if (isUnauthenticated(err)) {
        // Only when nobody replaced the session meanwhile (a logIn during the refresh).
        if (this.session === session) await this.set(null);
        throw new LoggedOutError('Session ended: log in again', { cause: err });
      }
      throw err;
    }
    if (this.session === session) await this.set(next);
    return next;
  }

  private expiresSoon(session: Session): boolean {
    const expiresAt = Date.parse(session.accessTokenExpiresAt);
    if (Number.isNaN(expiresAt)) return false;
    // A stored session's token has an unknown life: the plain skew.
    const receivedAt = this.receivedAt.get(session.accessToken);
    const skew =
      receivedAt === undefined
        ? this.skewMs
        : Math.min(this.skewMs, Math.max(0, (expiresAt - receivedAt) / 3));
    return this.now() >= expiresAt - skew;
  }
}
