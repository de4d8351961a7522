import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { createChat, type ChatSink, type RoomSubscriptionOptions } from './chat';
import { isUnauthenticated, type MoimErrorEntry, type MoimGraphQLError } from './errors';
import {
  LogInDocument,
  LogOutDocument,
  RefreshSessionDocument,
  SignUpDocument,
  type SessionPayloadFragment,
  type SignUpInput,
} from './generated/graphql';
import { memoryStore, SessionManager, type Session, type SessionStore } from './session';
import { DEFAULT_TIMEOUT_MS, notGraphQL, post, postRaw, type FetchLike, type HttpOptions } from './transport';
import { uploadMedia, type UploadedMedia, type UploadOptions } from './upload';

export interface MoimClientOptions {
  /** The gateway's GraphQL endpoint: absolute, or relative to the page (`/graphql`) in a browser. */
  url: string;
  /** The subscriptions endpoint; by default `url` with http(s) turned into ws(s). */
  wsUrl?: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** A WebSocket class; defaults to the global one (on Node 20 pass the `ws` package's). */
  webSocketImpl?: unknown;
  /** Defaults to memory only. */
  store?: SessionStore;
  onSessionChange?: (session: Session | null) => void;
  /** How long before its expiry the access token is refreshed (default 30 s). */
  refreshSkewMs?: number;
  /**
   * Failed connection attempts of the chat socket in a row before subscriptions end with an error
   * (default: unlimited).
   */
  chatRetryAttempts?: number;
  /** How long a GraphQL request may take before it fails with NETWORK_ERROR (default 15 s). */
  timeoutMs?: number;
}

/** A GraphQL request as typed (the admin console's explorer). */
export interface ExecuteBody {
  query: string;
  variables?: object;
  operationName?: string;
}

/** The gateway's JSON answer as it came: errors are part of the result. */
export interface ExecuteResult {
  data?: unknown;
  errors?: unknown[];
  [key: string]: unknown;
}

export interface MoimClient {
  logIn(email: string, password: string): Promise<Session>;
  signUp(input: SignUpInput): Promise<Session>;
  /** Revokes the session server-side and clears it locally (locally even when the server cannot be reached). */
  logOut(): Promise<void>;
  /** The current session; null when logged out or before the store has loaded (see ready()). */
  session(): Session | null;
  /** Resolves once the store has been loaded, to the session found there. */
  ready(): Promise<Session | null>;
  /**
   * Runs a query or mutation with the session's access token, refreshed as needed. Rejects with
   * MoimGraphQLError, or LoggedOutError when the session has ended.
   */
  request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<TResult>;
  /**
   * Posts any operation with the session's access token (refreshed as for request(), and the
   * operation sent once more after a 401) and resolves to the JSON answer as it is: GraphQL errors
   * are in it, not thrown. Rejects with LoggedOutError when the session has ended, and with
   * MoimGraphQLError for no answer (NETWORK_ERROR) or one that is not JSON (HTTP_<status>).
   */
  execute(body: ExecuteBody): Promise<ExecuteResult>;
  upload(bytes: Blob | Uint8Array, options: UploadOptions): Promise<UploadedMedia>;
  /**
   * Live events of a chat room, resumed after reconnects with no gap and no duplicate message.
   * Without `after`, from the room's newest message at the time of the call (every message, for a
   * room that has none yet). `onError` means it has ended for good.
   */
  subscribeRoom(roomId: string, options: RoomSubscriptionOptions): () => void;
  /** Any subscription (myChatEvents…) over the shared socket; reconnects resend it unchanged. */
  subscribe<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables: TVariables,
    sink: ChatSink<TResult>,
  ): () => void;
  /** Closes the socket and ends every subscription. */
  close(): void;
}

const toSession = (payload: SessionPayloadFragment): Session => ({
  accessToken: payload.accessToken,
  accessTokenExpiresAt: payload.accessTokenExpiresAt,
  refreshToken: payload.refreshToken,
  user: { id: payload.user.id, nickname: payload.user.nickname, role: payload.user.role },
});

export function createMoimClient(options: MoimClientOptions): MoimClient {
  const { url } = options;
  // Looked up per call and called unbound from any object: browsers refuse fetch called as a
  // method of something else ("Illegal invocation").
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const http: HttpOptions = { fetch: fetchImpl, url, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS };
  const sessions = new SessionManager({
    store: options.store ?? memoryStore(),
    onChange: options.onSessionChange,
    refreshSkewMs: options.refreshSkewMs,
    refresh: async (refreshToken) =>
      toSession((await post(http, RefreshSessionDocument, { refreshToken }, null)).refreshSession),
  });

  async function request<TResult, TVariables>(
    document: TypedDocumentNode<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<TResult> {
    const token = await sessions.accessToken();
    try {
      return await post(http, document, variables, token);
    } catch (err) {
      // Expired or rejected despite our clock (skew, revoked access token): one shared refresh,
      // then this request once more. Only the gateway's 401 means the token: UNAUTHENTICATED in a
      // 200 is the operation's own answer (a wrong password at logIn) and is the caller's.
      if (!token || !isUnauthenticated(err) || (err as MoimGraphQLError).status !== 401) throw err;
      const fresh = await sessions.refresh(token);
      return post(http, document, variables, fresh.accessToken);
    }
  }

  async function execute(body: ExecuteBody): Promise<ExecuteResult> {
    const token = await sessions.accessToken();
    let answer = await postRaw(http, body, token);
    // Only the gateway's 401 means the token: an UNAUTHENTICATED error in a 200 is the operation's
    // own answer (a refreshSession typed in the explorer with a bad token) and is shown as it is.
    if (token && answer.status === 401 && firstCode(answer.body) === 'UNAUTHENTICATED') {
      const fresh = await sessions.refresh(token);
      answer = await postRaw(http, body, fresh.accessToken);
    }
    if (!answer.body) throw notGraphQL(answer);
    return answer.body;
  }

  const chat = createChat({
    url: options.wsUrl ?? wsUrlFor(url),
    webSocketImpl: options.webSocketImpl,
    sessions,
    retryAttempts: options.chatRetryAttempts,
    request,
  });

  return {
    async logIn(email, password) {
      const { logIn } = await post(http, LogInDocument, { input: { email, password } }, null);
      const session = toSession(logIn);
      await sessions.set(session);
      chat.restart();
      return session;
    },
    async signUp(input) {
      const { signUp } = await post(http, SignUpDocument, { input }, null);
      const session = toSession(signUp);
      await sessions.set(session);
      chat.restart();
      return session;
    },
    async logOut() {
      const session = await sessions.current();
      try {
        if (session) await post(http, LogOutDocument, { refreshToken: session.refreshToken }, null);
      } catch (err) {
        // Already revoked or expired server-side: logged out either way.
        if (!isUnauthenticated(err)) throw err;
      } finally {
        await sessions.set(null);
        // Subscriptions were the logged-out user's: they end (complete) rather than go anonymous.
        chat.close();
      }
    },
    session: () => sessions.get(),
    ready: () => sessions.current(),
    request,
    execute,
    upload: (bytes, uploadOptions) => uploadMedia({ request, fetch: fetchImpl }, bytes, uploadOptions),
    subscribeRoom: (roomId, roomOptions) => chat.subscribeRoom(roomId, roomOptions),
    subscribe: (document, variables, sink) => chat.subscribe(document, variables, sink),
    close: () => chat.close(),
  };
}

const firstCode = (body: { errors?: MoimErrorEntry[] } | undefined): string | undefined =>
  body?.errors?.[0]?.extensions?.code;

/**
 * ws(s) for http(s); a relative URL is taken against the page's location. An absolute URL is
 * rewritten as text: React Native's URL implements neither `protocol` getter nor setter.
 */
export function wsUrlFor(url: string): string {
  const absolute = /^[a-z][a-z\d+.-]*:/i.test(url)
    ? url
    : new URL(url, (globalThis as { location?: { href: string } }).location?.href).href;
  return absolute.replace(/^http(s?):/i, (_, secure: string) => (secure ? 'wss:' : 'ws:'));
}
