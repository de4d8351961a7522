import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { BackendKind } from '@moim/kit';
import { eventually } from '@moim/kit/testing';
import { RefreshTokenEntity } from '@moim/social';
import { ok, startGraph, TEST_PASSWORD, type Graph } from '@moim/testing';
import {
  createMoimClient,
  LoggedOutError,
  MeDocument,
  MoimGraphQLError,
  MoimUploadError,
  OpenDirectRoomDocument,
  SendMessageDocument,
  type FetchLike,
  type MoimClient,
  type RoomEventInfoFragment,
  type Session,
  type SessionStore,
} from '../src';

// Access tokens live 3 s, so "expired" is real expiry, not a forged token; no refresh grace, so a
// second refresh with one token revokes the family instead of being forgiven as a retry — a
// double refresh by the SDK could not hide.
const TTL_SECONDS = 3;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Retries the assertion until it holds (eventually() wants a truthy value). */
const holds = (assertion: () => void, timeoutMs?: number) =>
  eventually(() => {
    assertion();
    return true;
  }, timeoutMs);

/** Sleeps past the session's access-token expiry. */
const untilExpired = (session: Session) => sleep(Date.parse(session.accessTokenExpiresAt) - Date.now() + 300);

/** A fetch that counts what goes through it: refreshSession POSTs and 401 answers. */
function countingFetch() {
  const counts = { refreshes: 0, unauthorized: 0 };
  const fetchImpl: FetchLike = async (input, init) => {
    if (typeof init.body === 'string' && JSON.parse(init.body).operationName === 'RefreshSession')
      counts.refreshes++;
    const res = await fetch(input, init);
    if (res.status === 401) counts.unauthorized++;
    return res;
  };
  return { counts, fetchImpl };
}

/** A store that records every save. */
function recordingStore(initial: Session | null = null) {
  const saved: Array<Session | null> = [];
  let current = initial;
  const store: SessionStore = {
    load: () => current,
    save: (s) => {
      saved.push(s);
      current = s;
    },
  };
  return { store, saved };
}

describe.each<BackendKind>(['servers', 'embedded'])('the SDK against the %s backend', (backend) => {
  let graph: Graph;
  const clients: MoimClient[] = [];

  beforeAll(async () => {
    graph = await startGraph({
      backend,
      env: { social: { ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS), REFRESH_GRACE_SECONDS: '0' } },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await graph?.stop();
  });

  const client = (options: Partial<Parameters<typeof createMoimClient>[0]> = {}) => {
    const c = createMoimClient({ url: graph.url, webSocketImpl: WebSocket, ...options });
    clients.push(c);
    return c;
  };

  /** Refresh tokens issued to the session `refreshToken` belongs to: one plus its rotations. */
  async function refreshTokensOfSession(refreshToken: string): Promise<number> {
    const repo = graph.service('social').deps.db.dataSource.getRepository(RefreshTokenEntity);
    const row = await repo.findOneByOrFail({ id: refreshToken.split('.')[0]! });
    return repo.countBy({ sessionId: row.sessionId });
  }

  describe('session refresh', () => {
    it('refreshes an expired access token once for 20 concurrent requests, and all succeed', async () => {
      const alice = await graph.person('alice');
      const { counts, fetchImpl } = countingFetch();
      const c = client({ fetch: fetchImpl });
      const first = await c.logIn(alice.email, TEST_PASSWORD);
      await untilExpired(first);

      const results = await Promise.all(Array.from({ length: 20 }, () => c.request(MeDocument)));

      expect(results.map((r) => r.me?.id)).toEqual(Array(20).fill(alice.id));
      expect(counts.refreshes).toBe(1);
      expect(c.session()?.accessToken).not.toBe(first.accessToken);
      // Server-side: the login's refresh token and exactly one successor.
      expect(await refreshTokensOfSession(first.refreshToken)).toBe(2);
    });

    it('on 401s from a token our clock thinks valid, refreshes once and retries every request', async () => {
      const bob = await graph.person('bob');
      // Logged in outside the SDK; the store claims a far expiry, as a client with a slow clock would.
      const { logIn } = ok(
        await graph.gql<{ logIn: Session }>(
          'mutation($i: LogInInput!) { logIn(input: $i) { accessToken accessTokenExpiresAt refreshToken user { id nickname role } } }',
          { i: { email: bob.email, password: TEST_PASSWORD } },
        ),
      );
      await untilExpired(logIn);
      const { store } = recordingStore({ ...logIn, accessTokenExpiresAt: '2999-01-01T00:00:00.000Z' });
      const { counts, fetchImpl } = countingFetch();
      const c = client({ fetch: fetchImpl, store });

      const results = await Promise.all(Array.from({ length: 20 }, () => c.request(MeDocument)));

      expect(results.map((r) => r.me?.id)).toEqual(Array(20).fill(bob.id));
      expect(counts.unauthorized).toBe(20);
      expect(counts.refreshes).toBe(1);
      expect(await refreshTokensOfSession(logIn.refreshToken)).toBe(2);
    });

    it('rejects with LoggedOutError and clears the session once its family is revoked', async () => {
      const carol = await graph.person('carol');
      const { store, saved } = recordingStore();
      const changes: Array<Session | null> = [];
      const c = client({ store, onSessionChange: (s) => changes.push(s) });
      const session = await c.logIn(carol.email, TEST_PASSWORD);
      // Someone else used the refresh token twice: reuse, so the server revokes the family.
      const refresh = 'mutation($t: String!) { refreshSession(refreshToken: $t) { refreshToken } }';
      ok(await graph.gql(refresh, { t: session.refreshToken }));
      expect((await graph.gql(refresh, { t: session.refreshToken })).errors?.[0]?.extensions?.code).toBe(
        'UNAUTHENTICATED',
      );
      await untilExpired(session);

      const err = await c.request(MeDocument).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(LoggedOutError);
      expect((err as LoggedOutError).code).toBe('LOGGED_OUT');
      expect(c.session()).toBeNull();
      expect(saved.at(-1)).toBeNull();
      expect(changes.at(-1)).toBeNull();
      // Logged out means anonymous from now on, not stuck: me is null without a token.
      expect((await c.request(MeDocument)).me).toBeNull();
    });

    it('logOut revokes the session server-side', async () => {
      const dan = await graph.person('dan');
      const c = client();
      const session = await c.logIn(dan.email, TEST_PASSWORD);
      await c.logOut();
      expect(c.session()).toBeNull();
      const res = await graph.gql(
        'mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }',
        {
          t: session.refreshToken,
        },
      );
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('upload', () => {
    it('takes a real JPEG to READY on its own', async () => {
      const erin = await graph.person('erin');
      const c = client();
      await c.logIn(erin.email, TEST_PASSWORD);
      const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } })
        .jpeg()
        .toBuffer();

      const media = await c.upload(new Blob([new Uint8Array(jpeg)]), {
        contentType: 'image/jpeg',
        purpose: 'REVIEW',
        waitUntilReady: true,
      });

      expect(media).toMatchObject({
        state: 'READY',
        status: 'READY',
        width: 64,
        height: 48,
        failureReason: null,
      });
      expect(media.thumb).toMatch(/^https?:\/\//);
    });

    it('refuses a non-image type up front, and non-image bytes posing as a JPEG when processed', async () => {
      const fay = await graph.person('fay');
      const c = client();
      await c.logIn(fay.email, TEST_PASSWORD);
      const text = new TextEncoder().encode('not an image at all, just words');

      const refused = await c
        .upload(text, { contentType: 'text/plain', purpose: 'REVIEW' })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(MoimGraphQLError);
      expect(refused).toMatchObject({
        code: 'BAD_USER_INPUT',
        message: expect.stringMatching(/contentType/),
      });

      const failed = await c
        .upload(text, { contentType: 'image/jpeg', purpose: 'REVIEW', waitUntilReady: true })
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(MoimUploadError);
      expect((failed as MoimUploadError).message).toMatch(/^Processing failed: .+/);
      expect((failed as MoimUploadError).mediaId).toBeTruthy();
    });
  });

  describe('chat', () => {
    it('delivers live messages, and those sent while the socket was down after the reconnect, once each, in order', async () => {
      const [gus, hal] = [await graph.person('gus'), await graph.person('hal')];
      // Every socket the SDK opens, the messages that came over them (before the SDK's own
      // deduplication), and a switch that makes new sockets fail to connect.
      const sockets: WebSocket[] = [];
      const onTheWire: string[] = [];
      const gate = { open: true };
      class TrackedWebSocket extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(gate.open ? url : 'ws://127.0.0.1:9/unreachable', protocols);
          sockets.push(this);
          this.on('message', (data) => {
            const frame = JSON.parse(String(data));
            const event = frame.type === 'next' ? frame.payload?.data?.roomEvents : undefined;
            if (event?.__typename === 'MessageAdded') onTheWire.push(event.message.id);
          });
        }
      }
      const gusClient = client({ webSocketImpl: TrackedWebSocket });
      const halClient = client();
      await gusClient.logIn(gus.email, TEST_PASSWORD);
      await halClient.logIn(hal.email, TEST_PASSWORD);
      const { openDirectRoom: room } = await gusClient.request(OpenDirectRoomDocument, { userId: hal.id });
      let n = 0;
      const send = async () =>
        (
          await halClient.request(SendMessageDocument, {
            roomId: room.id,
            body: `m${++n}`,
            clientMessageId: `hal-${n}-${Date.now()}`,
          })
        ).sendMessage.id;

      // Subscribed after m1, so m2 arrives whether it was sent before the subscription was live
      // (replayed) or after (live).
      const m1 = await send();
      const events: RoomEventInfoFragment[] = [];
      const errors: unknown[] = [];
      gusClient.subscribeRoom(room.id, {
        after: m1,
        onEvent: (e) => events.push(e),
        onError: (e) => errors.push(e),
      });
      const bodies = () => events.flatMap((e) => (e.__typename === 'MessageAdded' ? [e.message.body] : []));
      await send();
      await holds(() => expect(bodies()).toEqual(['m2']));

      // The socket drops, and stays down while three messages are sent.
      gate.open = false;
      const dropped = sockets.length;
      sockets.at(-1)!.terminate();
      for (let i = 0; i < 3; i++) await send();
      await sleep(300);
      gate.open = true;
      await holds(() => expect(bodies()).toEqual(['m2', 'm3', 'm4', 'm5']), 15_000);
      expect(sockets.length).toBeGreaterThan(dropped);

      await send();
      await holds(() => expect(bodies()).toEqual(['m2', 'm3', 'm4', 'm5', 'm6']));
      // The gateway closes a socket whose token expires: the SDK refreshes before reconnecting.
      const beforeExpiry = sockets.length;
      await untilExpired(gusClient.session()!);
      await send();
      await holds(() => expect(bodies()).toEqual(['m2', 'm3', 'm4', 'm5', 'm6', 'm7']));
      expect(sockets.length).toBeGreaterThan(beforeExpiry);

      // Each resubscription asked for what came after the last message seen: not even the wire
      // carried one twice.
      expect(onTheWire).toHaveLength(6);
      expect(new Set(onTheWire).size).toBe(6);
      expect(errors).toEqual([]);
    });
  });
});
