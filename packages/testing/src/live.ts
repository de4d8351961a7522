import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually } from '@moim/kit/testing';

/** What one subscription received: each `next` payload, the errors it ended with, whether it completed. */
export interface Received<T> {
  events: T[];
  errors: Array<{ message: string; extensions?: { code?: string } }> | null;
  completed: boolean;
  /** Ends the subscription (a `complete` to the gateway). */
  stop(): void;
}

/** A graphql-ws client of the gateway, as an app holds one: one socket, many subscriptions. */
export interface LiveClient {
  client: Client;
  subscribe<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Received<T>;
  /** Resolves once the socket is acknowledged (connection_init accepted). */
  connected(): Promise<void>;
  close(): Promise<void>;
}

const wsUrl = (url: string) => url.replace(/^http/, 'ws');

/** A client of the gateway at `url` (its /graphql URL) with `token` in connection_init. */
export function liveClient(url: string, token?: string, options: { retry?: boolean } = {}): LiveClient {
  let acknowledged = false;
  const client = createClient({
    url: wsUrl(url),
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: options.retry ? 5 : 0,
    lazy: false,
    on: { connected: () => void (acknowledged = true) },
  });
  return {
    client,
    subscribe<T>(query: string, variables?: Record<string, unknown>): Received<T> {
      const received: Received<T> = { events: [], errors: null, completed: false, stop: () => {} };
      received.stop = client.subscribe<T>(
        { query, variables },
        {
          next: (result) => {
            if (result.errors) received.errors = result.errors as Received<T>['errors'];
            else received.events.push(result.data as T);
          },
          error: (err) => {
            received.errors = Array.isArray(err)
              ? (err as Received<T>['errors'])
              : [{ message: String((err as { reason?: string }).reason ?? err) }];
          },
          complete: () => void (received.completed = true),
        },
      );
      return received;
    },
    connected: async () => void (await eventually(() => acknowledged)),
    close: () => client.dispose() as Promise<void>,
  };
}

/**
 * A raw graphql-transport-ws socket to the gateway, for protocol tests: sends what it is told
 * and records what comes back and how it closed.
 */
export function rawSocket(url: string) {
  const socket = new WebSocket(wsUrl(url), 'graphql-transport-ws');
  const messages: Array<Record<string, unknown>> = [];
  let closed: { code: number; reason: string } | null = null;
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as Record<string, unknown>));
  socket.on('close', (code, reason) => (closed = { code, reason: String(reason) }));
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    opened,
    send: async (message: unknown) => {
      await opened;
      socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    },
    closed: () => closed as { code: number; reason: string } | null,
    /** Resolves to how the server closed the socket. */
    waitClosed: async (timeoutMs = 10_000) => {
      await eventually(() => closed !== null, timeoutMs);
      return closed!;
    },
  };
}
