import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getOperationAST, print, type DocumentNode } from 'graphql';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import { LoggedOutError, MoimGraphQLError, type MoimErrorEntry } from './errors';
import { RoomEventsDocument, RoomResumePointDocument, type RoomEventInfoFragment } from './generated/graphql';
import type { SessionManager } from './session';

export interface ChatSink<T> {
  next(value: T): void;
  /**
   * The subscription has ended, for good: the session did (LoggedOutError), the server refused or
   * ended the operation with a final code (MoimGraphQLError: FORBIDDEN, NOT_FOUND, BAD_USER_INPUT,
   * UNAUTHENTICATED, validation), or `chatRetryAttempts` ran out. Anything else (dropped sockets,
   * any close code, no network, the server ending it with another code such as SLOW_CONSUMER) is
   * resubscribed with backoff. Errors an event carries beside its data are not reported: the data
   * is delivered.
   */
  error?(err: unknown): void;
  complete?(): void;
}

export interface RoomSubscriptionOptions {
  /**
   * The id of the last message the app already has: the ones since are delivered first. Without
   * it, the room's newest message at the time of the call is looked up and taken as the start; a
   * room with none yet is subscribed `fromStart`, so its first messages are never missed.
   */
  after?: string;
  onEvent(event: RoomEventInfoFragment): void;
  /** The subscription has ended for good (see ChatSink.error); called at most once. */
  onError?(err: unknown): void;
}

type Request = <TResult, TVariables>(
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
) => Promise<TResult>;

export interface ChatOptions {
  url: string;
  webSocketImpl?: unknown;
  sessions: SessionManager;
  retryAttempts?: number;
  /** The client's request(), for where a room subscription starts. */
  request: Request;
}

/** graphql-ws' Forbidden: the gateway closes a socket with it when its access token expires. */
const FORBIDDEN = 4403;
/** Message ids remembered per room subscription for deduplication. */
const SEEN_LIMIT = 1000;
/** The server's refusals of an operation: the same answer however often it is asked again. */
const FINAL_CODES = new Set([
  'BAD_USER_INPUT',
  'FORBIDDEN',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
]);

/** A sleep that `signal` cuts short, its timer cleared: close() must leave nothing running. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const wake = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', wake);
      resolve();
    };
    const timer = setTimeout(wake, ms);
    signal.addEventListener('abort', wake);
  });

/** Randomised exponential backoff, so a restarted gateway is not hit by every client at once. */
const backoffMs = (retries: number) => Math.min(30_000, 300 * 2 ** retries) * (0.5 + Math.random() / 2);

const isCloseEvent = (value: unknown): value is { code: number; reason: string } =>
  typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'number';

function asGraphQLError(errors: readonly MoimErrorEntry[]): MoimGraphQLError {
  const first = errors[0];
  return new MoimGraphQLError(first?.message ?? 'Subscription error', {
    code: first?.extensions?.code ?? 'SUBSCRIPTION_ERROR',
    errors: [...errors],
  });
}

type Payload = { query: string; variables: Record<string, unknown>; operationName?: string };

const payloadOf = (document: DocumentNode, variables: Record<string, unknown>): Payload => ({
  query: print(document),
  variables,
  operationName: getOperationAST(document)?.name?.value,
});

export function createChat(options: ChatOptions) {
  const retryAttempts = options.retryAttempts ?? Infinity;
  let client: Client | null = null;
  /** Fired by close(): cuts short the sleep of the client's reconnect backoff. */
  let cancelBackoff = new AbortController();
  /** The token of the last connection attempt, and one the gateway closed the socket over. */
  let sentToken: string | null = null;
  let rejectedToken: string | null = null;
  /** Why the last connection could not even be attempted (the session ended). */
  let paramsError: unknown = null;
  /** Sockets closed since one was last acknowledged, and how many ever were. */
  let failures = 0;
  let connections = 0;
  /** Every subscription still wanted, to end on close(). */
  const active = new Set<() => void>();

  function getClient(): Client {
    if (client) return client;
    const { signal } = (cancelBackoff = new AbortController());
    client = createClient({
      url: options.url,
      webSocketImpl: options.webSocketImpl,
      lazy: true,
      // Counted here instead (failures), as the subscriptions' own resubscribing must share the count.
      retryAttempts: Number.MAX_SAFE_INTEGER,
      retryWait: (retries) => sleep(backoffMs(retries), signal),
      // graphql-ws reconnects by itself after socket errors and most closes — a phone going through
      // a tunnel must come back — but gives up for good on some codes (4500, 4400, 1008…); the
      // subscriptions resubscribe after those (keepSubscribed). An ended session stops both.
      shouldRetry: () => !(paramsError instanceof LoggedOutError) && failures <= retryAttempts,
      connectionParams: async () => {
        paramsError = null;
        let token: string | null;
        try {
          token = await options.sessions.accessToken();
          // Our clock may think the token still good when the gateway did not: refresh anyway.
          if (token && token === rejectedToken) token = (await options.sessions.refresh(token)).accessToken;
        } catch (err) {
          if (err instanceof LoggedOutError) {
            paramsError = err;
            throw err;
          }
          // The refresh could not be made (network): try with what we have; the gateway's refusal
          // is retried with backoff like any other close.
          token = options.sessions.get()?.accessToken ?? null;
        }
        sentToken = token;
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      on: {
        connected: () => {
          failures = 0;
          connections++;
        },
        closed: (event) => {
          // 1000: closed on purpose (no subscription left, close()), not a failed connection.
          if (!(isCloseEvent(event) && event.code === 1000)) failures++;
          if (isCloseEvent(event) && event.code === FORBIDDEN && sentToken) rejectedToken = sentToken;
        },
      },
    });
    return client;
  }

  /** A close event or socket error, or the LoggedOutError that prevented reconnecting. */
  const mapError = (err: unknown): unknown => {
    if (paramsError instanceof LoggedOutError) return paramsError;
    if (Array.isArray(err)) return asGraphQLError(err as MoimErrorEntry[]);
    return err;
  };

  const isFinal = (err: unknown) =>
    err instanceof LoggedOutError ||
    (err instanceof MoimGraphQLError && FINAL_CODES.has(err.code)) ||
    failures > retryAttempts;

  /**
   * Subscribes, and again with backoff whenever the subscription fails for a reason that may
   * pass. `prepare` runs before each (re)subscription; its failures are retried the same way.
   */
  function keepSubscribed<TResult>(
    payload: Payload,
    sink: ChatSink<TResult>,
    prepare?: () => Promise<void>,
  ): () => void {
    let ended = false;
    let tries = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let unsubscribe: (() => void) | undefined;

    const end = (err?: unknown) => {
      if (ended) return;
      ended = true;
      active.delete(end);
      clearTimeout(timer);
      unsubscribe?.();
      if (err === undefined) sink.complete?.();
      else sink.error?.(err);
    };
    const stop = () => {
      // Unsubscribed by the app: nothing more is said to it.
      ended = true;
      active.delete(end);
      clearTimeout(timer);
      unsubscribe?.();
    };
    const retry = (err: unknown, connectionsBefore: number) => {
      if (ended) return;
      if (isFinal(err)) return end(err);
      if (connections > connectionsBefore) tries = 0;
      timer = setTimeout(() => void attempt(), backoffMs(tries++));
    };
    const attempt = async () => {
      const connectionsBefore = connections;
      try {
        await prepare?.();
      } catch (err) {
        return retry(err, connectionsBefore);
      }
      if (ended) return;
      /** Errors that came without data: the server's ending when a complete follows. */
      let ending: MoimGraphQLError | undefined;
      unsubscribe = getClient().subscribe<TResult>(payload, {
        next: (result: ExecutionResult<TResult>) => {
          if (result.data == null) {
            if (result.errors?.length) ending = asGraphQLError(result.errors as unknown as MoimErrorEntry[]);
            return;
          }
          // An event's own errors beside its data (a field that failed) do not end anything.
          ending = undefined;
          sink.next(result.data);
        },
        error: (err) => retry(mapError(err), connectionsBefore),
        // The gateway ends a subscription with errors then complete (FORBIDDEN when removed from the
        // room, SLOW_CONSUMER…): final codes end it, others resubscribe. A bare complete: the socket
        // was closed for good (close(), logOut) or the server ended the subscription.
        complete: () => (ending ? retry(ending, connectionsBefore) : end()),
      });
    };

    active.add(end);
    void attempt();
    return stop;
  }

  return {
    subscribe<TResult, TVariables>(
      document: TypedDocumentNode<TResult, TVariables>,
      variables: TVariables,
      sink: ChatSink<TResult>,
    ): () => void {
      return keepSubscribed(payloadOf(document, { ...(variables as Record<string, unknown>) }), sink);
    },

    subscribeRoom(roomId: string, room: RoomSubscriptionOptions): () => void {
      const variables: { roomId: string; after: string | null; fromStart: boolean } = {
        roomId,
        after: room.after ?? null,
        fromStart: false,
      };
      // graphql-ws sends this same payload object again on every reconnect, serialised afresh:
      // moving `after` along as messages arrive makes the reconnect resume where we are.
      const payload = payloadOf(RoomEventsDocument, variables);
      const seen = new Set<string>();
      /** Whether `after` / `fromStart` say where to start; false until the room's newest message is known. */
      let placed = room.after !== undefined;

      const onEvent = (event: RoomEventInfoFragment) => {
        if (event.__typename === 'MessageAdded') {
          const { id } = event.message;
          // A belt to the braces of `after`: a message delivered twice is passed on once.
          if (seen.has(id)) return;
          seen.add(id);
          if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
          variables.after = id;
          variables.fromStart = false;
        }
        room.onEvent(event);
      };

      // After the room's newest message; a room without one is read from its start, so whatever
      // is sent before the first event reaches us (a reconnect in between included) is not lost.
      // keepSubscribed checks that the room was not stopped meanwhile before subscribing.
      const prepare = async () => {
        if (placed) return;
        const { chatRoom } = await options.request(RoomResumePointDocument, { id: roomId });
        const last = chatRoom?.lastMessage?.id ?? null;
        variables.after = last;
        variables.fromStart = last === null;
        placed = true;
      };

      return keepSubscribed(
        payload,
        { next: ({ roomEvents }) => onEvent(roomEvents), error: (err) => room.onError?.(err) },
        prepare,
      );
    },

    /** The identity changed (logIn): reconnect with the new token; subscriptions carry on. */
    restart() {
      rejectedToken = null;
      // The old session's LoggedOutError and used-up attempts must not end the new one's subscriptions.
      paramsError = null;
      failures = 0;
      client?.terminate();
    },

    close() {
      const closing = client;
      client = null;
      // Subscriptions waiting to resubscribe end too, as the live ones do when the socket goes.
      for (const end of [...active]) end();
      paramsError = null;
      failures = 0;
      cancelBackoff.abort();
      // dispose() rejects when it finds the client between two attempts ("All Subscriptions Gone").
      Promise.resolve(closing?.dispose()).catch(() => undefined);
    },
  };
}
