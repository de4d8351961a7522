import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getOperationAST, print, type DocumentNode } from 'graphql';
import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import { LoggedOutError, MoimGraphQLError, type MoimErrorEntry } from './errors';
import { RoomEventsDocument, type RoomEventInfoFragment } from './generated/graphql';
import type { SessionManager } from './session';

export interface ChatSink<T> {
  next(value: T): void;
  error?(err: unknown): void;
  complete?(): void;
}

export interface RoomSubscriptionOptions {
  /** The id of the last message the app already has: the ones since are delivered first. */
  after?: string;
  onEvent(event: RoomEventInfoFragment): void;
  onError?(err: unknown): void;
}

export interface ChatOptions {
  url: string;
  webSocketImpl?: unknown;
  sessions: SessionManager;
  retryAttempts?: number;
}

/** graphql-ws' Forbidden: the gateway closes a socket with it when its access token expires. */
const FORBIDDEN = 4403;
/** Message ids remembered per room subscription for deduplication. */
const SEEN_LIMIT = 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const isCloseEvent = (value: unknown): value is { code: number; reason: string } =>
  typeof value === 'object' && value !== null && 'code' in value && typeof value.code === 'number';

function asGraphQLError(errors: readonly MoimErrorEntry[]): MoimGraphQLError {
  const first = errors[0];
  return new MoimGraphQLError(first?.message ?? 'Subscription error', {
    code: first?.extensions?.code ?? 'SUBSCRIPTION_ERROR',
    errors: [...errors],
  });
}

export function createChat(options: ChatOptions) {
  let client: Client | null = null;
  /** The token of the last connection attempt, and one the gateway closed the socket over. */
  let sentToken: string | null = null;
  let rejectedToken: string | null = null;
  /** Why the last connection could not even be attempted (the session ended). */
  let paramsError: unknown = null;

  function getClient(): Client {
    client ??= createClient({
      url: options.url,
      webSocketImpl: options.webSocketImpl,
      lazy: true,
      retryAttempts: options.retryAttempts ?? Number.MAX_SAFE_INTEGER,
      // Randomised exponential backoff, so a restarted gateway is not hit by every client at once.
      retryWait: async (retries) => sleep(Math.min(30_000, 300 * 2 ** retries) * (0.5 + Math.random() / 2)),
      // Socket errors (server unreachable, network gone) as well as closes: a phone going through
      // a tunnel must come back. Only an ended session stops the retries.
      shouldRetry: () => !(paramsError instanceof LoggedOutError),
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
        closed: (event) => {
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

  function subscribePayload<TResult>(
    payload: { query: string; variables: Record<string, unknown>; operationName?: string },
    sink: ChatSink<TResult>,
  ): () => void {
    return getClient().subscribe<TResult>(payload, {
      next: (result: ExecutionResult<TResult>) => {
        if (result.errors?.length) sink.error?.(asGraphQLError(result.errors as unknown as MoimErrorEntry[]));
        else if (result.data) sink.next(result.data);
      },
      error: (err) => sink.error?.(mapError(err)),
      complete: () => sink.complete?.(),
    });
  }

  const payloadOf = (document: DocumentNode, variables: Record<string, unknown>) => ({
    query: print(document),
    variables,
    operationName: getOperationAST(document)?.name?.value,
  });

  return {
    subscribe<TResult, TVariables>(
      document: TypedDocumentNode<TResult, TVariables>,
      variables: TVariables,
      sink: ChatSink<TResult>,
    ): () => void {
      return subscribePayload(payloadOf(document, { ...(variables as Record<string, unknown>) }), sink);
    },

    subscribeRoom(roomId: string, room: RoomSubscriptionOptions): () => void {
      const variables: { roomId: string; after: string | null } = { roomId, after: room.after ?? null };
      // graphql-ws sends this same payload object again on every reconnect, serialised afresh:
      // moving `after` along as messages arrive makes the reconnect resume where we are.
      const payload = payloadOf(RoomEventsDocument, variables);
      const seen = new Set<string>();
      return subscribePayload(payload, {
        next: ({ roomEvents: event }) => {
          if (event.__typename === 'MessageAdded') {
            const { id } = event.message;
            // A belt to the braces of `after`: a message delivered twice is passed on once.
            if (seen.has(id)) return;
            seen.add(id);
            if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
            variables.after = id;
          }
          room.onEvent(event);
        },
        error: (err) => room.onError?.(err),
      });
    },

    /** The identity changed (logIn): reconnect with the new token; subscriptions carry on. */
    restart() {
      rejectedToken = null;
      client?.terminate();
    },

    close() {
      const closing = client;
      client = null;
      void closing?.dispose();
    },
  };
}
