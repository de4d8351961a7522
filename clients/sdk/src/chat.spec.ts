import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createMoimClient } from './client';
import type { FetchLike } from './transport';

// The chat client's lifecycle against sockets and gateways scripted to misbehave in ways the real
// graph cannot be made to on demand (test/sdk.test.ts covers the real one).

/** A WebSocket that never connects: each one fails at once, as with no network. */
function deadSockets() {
  const opened = { count: 0 };
  class DeadSocket {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readyState = 0;
    protocol = '';
    onopen: (() => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onmessage: ((event: unknown) => void) | null = null;
    constructor() {
      opened.count++;
      queueMicrotask(() => {
        this.readyState = 3;
        this.onerror?.(new Error('connect ECONNREFUSED'));
        this.onclose?.({ code: 1006, reason: '' });
      });
    }
    close() {}
    send() {}
  }
  return { DeadSocket, opened };
}

const idle = () => new Promise((resolve) => setImmediate(resolve));

describe('chat client between reconnect attempts', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => void process.on('unhandledRejection', onUnhandled));
  afterAll(() => void process.off('unhandledRejection', onUnhandled));
  afterEach(() => {
    vi.useRealTimers();
    unhandled.length = 0;
  });

  /** A client whose socket keeps failing, in its reconnect backoff (a timer pending). */
  async function inBackoff() {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { DeadSocket, opened } = deadSockets();
    const client = createMoimClient({ url: 'http://127.0.0.1:9/graphql', webSocketImpl: DeadSocket });
    const errors: unknown[] = [];
    const stop = client.subscribeRoom('1', { after: '5', onEvent: () => {}, onError: (e) => errors.push(e) });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(opened.count).toBeGreaterThanOrEqual(2);
    expect(vi.getTimerCount()).toBe(1); // graphql-ws sleeping in retryWait
    return { client, stop, opened, errors };
  }

  /** Nothing left running: no timer, no rejection nobody handles, no socket opened later. */
  async function expectNothingLeft(opened: { count: number }, errors: unknown[]) {
    const sockets = opened.count;
    await vi.advanceTimersByTimeAsync(0);
    await idle();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    await idle();
    await idle();
    expect(opened.count).toBe(sockets);
    expect(unhandled).toEqual([]);
    expect(errors).toEqual([]);
  }

  it('close() cancels the backoff sleep and rejects nothing unhandled', async () => {
    const { client, opened, errors } = await inBackoff();
    client.close();
    await expectNothingLeft(opened, errors);
  });

  it('logOut() does the same', async () => {
    const { client, opened, errors } = await inBackoff();
    await client.logOut();
    await expectNothingLeft(opened, errors);
  });

  it('stopping the last subscription opens no socket after the sleep', async () => {
    const { stop, opened, errors } = await inBackoff();
    stop();
    await vi.advanceTimersByTimeAsync(60_000);
    await idle();
    await expectNothingLeft(opened, errors);
  });
});

describe('a room subscription stopped while its resume point is being read', () => {
  /** A fetch that holds every request until released, answering RoomResumePoint with message 7. */
  function heldFetch() {
    const held: Array<() => void> = [];
    const fetchImpl: FetchLike = (_, init) =>
      new Promise((resolve) => {
        expect(JSON.parse(String(init.body)).operationName).toBe('RoomResumePoint');
        held.push(() =>
          resolve(
            new Response(JSON.stringify({ data: { chatRoom: { id: '1', lastMessage: { id: '7' } } } }), {
              headers: { 'content-type': 'application/json' },
            }),
          ),
        );
      });
    return { fetchImpl, held };
  }

  it.each(['stop', 'close', 'logOut'] as const)(
    '%s: subscribes nothing once the answer comes',
    async (how) => {
      const { DeadSocket, opened } = deadSockets();
      const { fetchImpl, held } = heldFetch();
      const client = createMoimClient({
        url: 'http://127.0.0.1:9/graphql',
        fetch: fetchImpl,
        webSocketImpl: DeadSocket,
      });
      const errors: unknown[] = [];
      const stop = client.subscribeRoom('1', { onEvent: () => {}, onError: (e) => errors.push(e) });
      await vi.waitFor(() => expect(held).toHaveLength(1));
      if (how === 'stop') stop();
      else if (how === 'close') client.close();
      else await client.logOut();
      held[0]!();
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(opened.count).toBe(0);
      expect(errors).toEqual([]);
    },
  );
});

/**
 * A graphql-transport-ws server answering each subscribe with the frames `script` gives for it
 * (by order of arrival); records the subscribe frames' variables.
 */
async function scriptedGateway(script: (n: number, id: string, socket: WebSocket) => void) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const subscribes: Array<Record<string, unknown>> = [];
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
      if (frame.type === 'subscribe') {
        subscribes.push(frame.payload.variables);
        script(subscribes.length, frame.id, socket);
      }
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    subscribes,
    close: () => {
      for (const client of server.clients) client.terminate();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const frame = (socket: WebSocket, id: string, type: 'next' | 'complete', payload?: unknown) =>
  socket.send(JSON.stringify({ id, type, ...(payload === undefined ? {} : { payload }) }));

const added = (id: string) => ({
  __typename: 'MessageAdded',
  message: { id, roomId: '1', body: id, clientMessageId: id, createdAt: '', editedAt: null, deleted: false },
});

const ending = (code: string) => ({ errors: [{ message: `ended: ${code}`, extensions: { code } }] });

describe('a subscription the gateway ends (errors, then complete)', () => {
  it('resubscribes, keeping `after`, when the code may pass (SLOW_CONSUMER); an event with errors still counts', async () => {
    const gateway = await scriptedGateway((n, id, socket) => {
      if (n === 1) {
        frame(socket, id, 'next', ending('SLOW_CONSUMER'));
        frame(socket, id, 'complete');
      } else if (n === 2) {
        // Data with a field's error beside it: delivered, and `after` moves past it.
        frame(socket, id, 'next', {
          data: { roomEvents: added('6') },
          errors: [{ message: 'attachments failed' }],
        });
        // An event that failed altogether, without an ending: nothing ends.
        frame(socket, id, 'next', { data: null, errors: [{ message: 'Internal server error' }] });
        frame(socket, id, 'next', { data: { roomEvents: added('7') } });
        setTimeout(() => socket.terminate(), 50);
      }
    });
    const client = createMoimClient({ url: gateway.url, webSocketImpl: WebSocket });
    const events: string[] = [];
    const errors: unknown[] = [];
    const stop = client.subscribeRoom('1', {
      after: '5',
      onEvent: (e) => events.push(e.__typename === 'MessageAdded' ? e.message.id : e.__typename),
      onError: (e) => errors.push(e),
    });
    try {
      await vi.waitFor(() => expect(gateway.subscribes).toHaveLength(3), { timeout: 5_000 });
      expect(gateway.subscribes.map((v) => v.after)).toEqual(['5', '5', '7']);
      expect(events).toEqual(['6', '7']);
      expect(errors).toEqual([]);
    } finally {
      stop();
      client.close();
      await gateway.close();
    }
  });

  it('ends with one onError for a final code (FORBIDDEN), and subscribes no more', async () => {
    const gateway = await scriptedGateway((_, id, socket) => {
      frame(socket, id, 'next', ending('FORBIDDEN'));
      frame(socket, id, 'complete');
    });
    const client = createMoimClient({ url: gateway.url, webSocketImpl: WebSocket });
    const errors: unknown[] = [];
    client.subscribeRoom('1', { after: '5', onEvent: () => {}, onError: (e) => errors.push(e) });
    try {
      await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 5_000 });
      expect(errors[0]).toMatchObject({ name: 'MoimGraphQLError', code: 'FORBIDDEN' });
      // Longer than the first backoffs: a resubscription would have come.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(gateway.subscribes).toHaveLength(1);
      expect(errors).toHaveLength(1);
    } finally {
      client.close();
      await gateway.close();
    }
  });
});
