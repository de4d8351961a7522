import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getOperationAST, print, type DocumentNode } from 'graphql';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import { LoggedOutError, MoimGraphQLError, type MoimErrorEntry } from './errors';
import {
  RoomEventsDocument,
  RoomFirstMessageDocument,
  RoomResumePointDocument,
  type RoomEventInfoFragment,
} from './generated/graphql';
import type { SessionManager } from './session';

export interface ChatSink<T> {
  next(value: T): void;
  /**
   * The subscription has ended: the session did (LoggedOutError), the server refused the
   * operation (MoimGraphQLError: FORBIDDEN, BAD_USER_INPUT…), or `chatRetryAttempts` ran out.
   * Anything else (dropped sockets, any close code, no network) is retried with backoff. Also
   * called, without ending anything, for errors an event carries.
   */
  error?(err: unknown): void;
  complete?(): void;
}

export interface RoomSubscriptionOptions {
  /**
   * The id of the last message the app already has: the ones since are delivered first. Without
   * it, the room's newest message at the time of the call is looked up and taken as the start.
   */
  after?: string;
  onEvent(event: RoomEventInfoFragment): void;
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  /** The token of the last connection attempt, and one the gateway closed the socket over. */
  let sentToken: string | null = null;
  let rejectedToken: string | null = null;
  /** Why the last connection could not even be attempted (the session ended). */
  let paramsError: unknown = null;
  /** Sockets closed since one was last acknowledged, and how many ever were. */
  let failures = 0;
  let connections = 0;
  /** Catch-ups that must run before a socket's subscriptions are (re)sent: see subscribeRoom. */
  const beforeConnect = new Set<() => Promise<void>>();
  /** Every subscription still wanted, to end on close(). */
  const active = new Set<() => void>();

  function getClient(): Client {
    client ??= createClient({
      url: options.url,
      webSocketImpl: options.webSocketImpl,
      lazy: true,
      // Counted here instead (failures), as the subscriptions' own resubscribing must share the count.
      retryAttempts: Number.MAX_SAFE_INTEGER,
      retryWait: (retries) => sleep(backoffMs(retries)),
      // graphql-ws reconnects by itself after socket errors and most closes — a phone going through
      // a tunnel must come back — but gives up for good on some codes (4500, 4400, 1008…); the
      // subscriptions resubscribe after those (keepSubscribed). An ended session stops both.
      shouldRetry: () => !(paramsError instanceof LoggedOutError) && failures <= retryAttempts,
      connectionParams: async () => {
        paramsError = null;
        // Alongside getting the token: the gateway allows the connection_init only a few seconds.
        const caughtUp = Promise.all([...beforeConnect].map((catchUp) => catchUp()));
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
        await caughtUp;
        sentToken = token;
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      on: {
        connected: () => {
          failures = 0;
          connections++;
        },
        closed: (event) => {
          failures++;
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
      unsubscribe = getClient().subscribe<TResult>(payload, {
        next: (result: ExecutionResult<TResult>) => {
          if (result.errors?.length)
            sink.error?.(asGraphQLError(result.errors as unknown as MoimErrorEntry[]));
          else if (result.data) sink.next(result.data);
        },
        error: (err) => retry(mapError(err), connectionsBefore),
        // The socket was closed for good (close(), logOut) or the server ended the subscription.
        complete: () => end(),
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
      const variables: { roomId: string; after: string | null } = { roomId, after: room.after ?? null };
      // graphql-ws sends this same payload object again on every reconnect, serialised afresh:
      // moving `after` along as messages arrive makes the reconnect resume where we are.
      const payload = payloadOf(RoomEventsDocument, variables);
      const seen = new Set<string>();
      /** Whether `after` says where to resume; false until the room's newest message is known. */
      let placed = room.after !== undefined;
      let stopped = false;

      const onEvent = (event: RoomEventInfoFragment) => {
        if (event.__typename === 'MessageAdded') {
          const { id } = event.message;
          // A belt to the braces of `after`: a message delivered twice is passed on once.
          if (seen.has(id)) return;
          seen.add(id);
          if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
          variables.after = id;
        }
        room.onEvent(event);
      };

      // A room that was empty has no message to resume after: subscribed live only, a reconnect
      // would lose what was sent while the socket was down. Its first message, once there is
      // one, is delivered here and becomes `after` — before each socket's subscriptions are sent.
      const fromStart = async () => {
        if (!placed || variables.after !== null) return;
        const { chatRoom } = await options.request(RoomFirstMessageDocument, { id: roomId });
        const first = chatRoom?.messages.edges[0]?.node;
        if (first && variables.after === null && !stopped)
          onEvent({ __typename: 'MessageAdded', message: first });
      };
      const catchUp = () => fromStart().catch(() => undefined);

      const prepare = async () => {
        if (!placed) {
          const { chatRoom } = await options.request(RoomResumePointDocument, { id: roomId });
          variables.after = chatRoom?.lastMessage?.id ?? null;
          placed = true;
          if (variables.after === null) beforeConnect.add(catchUp);
          return;
        }
        await fromStart();
      };

      const stop = keepSubscribed(
        payload,
        {
          next: ({ roomEvents }) => onEvent(roomEvents),
          error: (err) => {
            beforeConnect.delete(catchUp);
            room.onError?.(err);
          },
          complete: () => beforeConnect.delete(catchUp),
        },
        prepare,
      );
      return () => {
        stopped = true;
        beforeConnect.delete(catchUp);
        stop();
      };
    },

    /** The identity changed (logIn): reconnect with the new token; subscriptions carry on. */
    restart() {
      rejectedToken = null;
      client?.terminate();
    },

    close() {
      const closing = client;
      client = null;
      // Subscriptions waiting to resubscribe end too, as the live ones do when the socket goes.
      for (const end of [...active]) end();
      void closing?.dispose();
    },
  };
}
