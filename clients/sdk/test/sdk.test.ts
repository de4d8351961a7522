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
  LogInDocument,
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
  wsUrlFor,
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

/**
 * A store holding a session logged in outside the SDK whose access token has expired, while the
 * store claims it lasts for ever (a client whose clock is late): only the gateway's 401 tells.
 */
async function expiredClaimingFarExpiry(
  graph: Graph,
  who: { email: string },
): Promise<{ store: SessionStore; session: Session }> {
  const { logIn } = ok(
    await graph.gql<{ logIn: Session }>(
      'mutation($i: LogInInput!) { logIn(input: $i) { accessToken accessTokenExpiresAt refreshToken user { id nickname role } } }',
      { i: { email: who.email, password: TEST_PASSWORD } },
    ),
  );
  await untilExpired(logIn);
  const { store } = recordingStore({ ...logIn, accessTokenExpiresAt: '2999-01-01T00:00:00.000Z' });
  return { store, session: logIn };
}

/** A fetch that counts what goes through it: refreshSession POSTs and 401 answers, and every operation. */
function countingFetch() {
  const counts = { refreshes: 0, unauthorized: 0 };
  const operations: string[] = [];
  const fetchImpl: FetchLike = async (input, init) => {
    const operationName = typeof init.body === 'string' ? JSON.parse(init.body).operationName : undefined;
    operations.push(operationName);
    if (operationName === 'RefreshSession') counts.refreshes++;
    const res = await fetch(input, init);
    if (res.status === 401) counts.unauthorized++;
    return res;
  };
  return { counts, fetchImpl, operations };
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

/**
 * A WebSocket class recording every socket the SDK opens, the messages that came over them (before
 * the SDK's own deduplication), the subscribe frames sent and the close codes; with `gate.open`
 * false new sockets fail to connect.
 */
function trackedSockets() {
  const sockets: WebSocket[] = [];
  const onTheWire: string[] = [];
  const subscribes: Array<{ after?: string | null; fromStart?: boolean }> = [];
  const closeCodes: number[] = [];
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
      this.on('close', (code) => closeCodes.push(code));
    }
    override send(data: string, ...rest: unknown[]) {
      const frame = JSON.parse(data);
      if (frame.type === 'subscribe') subscribes.push(frame.payload.variables ?? {});
      (super.send as (...args: unknown[]) => void)(data, ...rest);
    }
  }
  return { TrackedWebSocket, sockets, onTheWire, subscribes, closeCodes, gate };
}

const bodiesOf = (events: RoomEventInfoFragment[]) =>
  events.flatMap((e) => (e.__typename === 'MessageAdded' ? [e.message.body] : []));

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

  const refreshTokens = () => graph.service('social').deps.db.dataSource.getRepository(RefreshTokenEntity);
  const refreshTokenRow = (refreshToken: string) =>
    refreshTokens().findOneByOrFail({ id: refreshToken.split('.')[0]! });

  /** Refresh tokens issued to the session `refreshToken` belongs to: one plus its rotations. */
  async function refreshTokensOfSession(refreshToken: string): Promise<number> {
    const row = await refreshTokenRow(refreshToken);
    return refreshTokens().countBy({ sessionId: row.sessionId });
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
      const { store, session: logIn } = await expiredClaimingFarExpiry(graph, bob);
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
      // The session is revoked from elsewhere (logged out on another device) with the SDK's own
      // refresh token, which logOut does not consume: the SDK later presents a token it never
      // used, so only the revocation can make the server refuse it, not reuse detection.
      const logOut = 'mutation($t: String!) { logOut(refreshToken: $t) }';
      ok(await graph.gql(logOut, { t: session.refreshToken }));
      expect(await refreshTokenRow(session.refreshToken)).toMatchObject({ usedAt: null });
      await untilExpired(session);

      const err = await c.request(MeDocument).catch((e: unknown) => e);

      expect(err).toBeInstanceOf(LoggedOutError);
      expect((err as LoggedOutError).code).toBe('LOGGED_OUT');
      const cause = (err as LoggedOutError).cause as MoimGraphQLError;
      expect(cause.code).toBe('UNAUTHENTICATED');
      expect(cause.message).toMatch(/revoked/);
      expect(cause.message).not.toMatch(/already used/);
      expect(c.session()).toBeNull();
      expect(saved.at(-1)).toBeNull();
      expect(changes.at(-1)).toBeNull();
      // Logged out means anonymous from now on, not stuck: me is null without a token.
      expect((await c.request(MeDocument)).me).toBeNull();
    });

    it("takes an UNAUTHENTICATED answer in a 200 as the operation's own: no refresh, sent once", async () => {
      const kay = await graph.person('kay');
      const { counts, fetchImpl, operations } = countingFetch();
      const c = client({ fetch: fetchImpl });
      await c.logIn(kay.email, TEST_PASSWORD);
      operations.length = 0;

      // A wrong password while logged in: the resolver's refusal, not the access token's.
      const err = await c
        .request(LogInDocument, { input: { email: kay.email, password: 'not-the-password' } })
        .catch((e: unknown) => e);

      expect(err).toMatchObject({ name: 'MoimGraphQLError', code: 'UNAUTHENTICATED', status: 200 });
      expect(operations).toEqual(['LogIn']);
      expect(counts.refreshes).toBe(0);
      expect((await c.request(MeDocument)).me?.id).toBe(kay.id);
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

  describe('execute', () => {
    it('posts with the session, refreshes once on 401 and returns the answer as it came', async () => {
      const ida = await graph.person('ida');
      const { counts, fetchImpl } = countingFetch();
      // A store claiming a far expiry: the first POST goes out with an expired token and gets a 401.
      const { store } = await expiredClaimingFarExpiry(graph, ida);
      const c = client({ fetch: fetchImpl, store });

      const answer = await c.execute({ query: 'query Who { me { id } }', operationName: 'Who' });

      expect(answer).toEqual({ data: { me: { id: ida.id } } });
      expect(counts).toEqual({ refreshes: 1, unauthorized: 1 });

      // GraphQL errors are the answer, not exceptions: data and errors together, as GraphiQL shows them.
      const partial = await c.execute({
        query: 'query($id: ID!) { me { id } user(id: $id) { id } }',
        variables: {},
      });
      expect(partial.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(/\$id/) })]);
      const mixed = await c.execute({ query: '{ me { id } chatRoom(id: "999999") { id } }' });
      expect(mixed.data).toEqual({ me: { id: ida.id }, chatRoom: null });
      expect(mixed.errors).toEqual([expect.objectContaining({ path: ['chatRoom'] })]);
      expect(counts.refreshes).toBe(1);
    });

    it('rejects with LoggedOutError when the session has ended', async () => {
      const jon = await graph.person('jon');
      const c = client();
      const session = await c.logIn(jon.email, TEST_PASSWORD);
      ok(await graph.gql('mutation($t: String!) { logOut(refreshToken: $t) }', { t: session.refreshToken }));
      await untilExpired(session);
      await expect(c.execute({ query: '{ me { id } }' })).rejects.toBeInstanceOf(LoggedOutError);
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
      const { TrackedWebSocket, sockets, onTheWire, gate } = trackedSockets();
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
      const bodies = () => bodiesOf(events);
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

    /** Two people, a direct room between them, and a send() from the second one. */
    async function directRoom(a: string, b: string, webSocketImpl: unknown, url = graph.url) {
      const [first, second] = [await graph.person(a), await graph.person(b)];
      const firstClient = client({ url, webSocketImpl });
      const secondClient = client();
      await firstClient.logIn(first.email, TEST_PASSWORD);
      await secondClient.logIn(second.email, TEST_PASSWORD);
      const { openDirectRoom: room } = await firstClient.request(OpenDirectRoomDocument, {
        userId: second.id,
      });
      let n = 0;
      const send = async () =>
        (
          await secondClient.request(SendMessageDocument, {
            roomId: room.id,
            body: `m${++n}`,
            clientMessageId: `${b}-${n}-${Date.now()}`,
          })
        ).sendMessage.id;
      return { first, firstClient, room, send };
    }

    it.each([
      ['after the newest message', 1],
      ['from the first message of a room that was empty', 0],
    ])(
      'without `after`, resumes %s: a drop before any message arrived loses nothing',
      async (_, sentBefore) => {
        const { TrackedWebSocket, sockets, onTheWire, subscribes, gate } = trackedSockets();
        const { firstClient, room, send } = await directRoom(
          `kim${sentBefore}`,
          `lee${sentBefore}`,
          TrackedWebSocket,
        );
        for (let i = 0; i < sentBefore; i++) await send();
        const events: RoomEventInfoFragment[] = [];
        const errors: unknown[] = [];
        firstClient.subscribeRoom(room.id, {
          onEvent: (e) => events.push(e),
          onError: (e) => errors.push(e),
        });
        await holds(() => expect(subscribes).toHaveLength(1));
        // After the newest message; an empty room from its start (so nothing sent before the
        // first event can be lost).
        expect(subscribes[0]).toMatchObject(sentBefore ? { after: expect.any(String) } : { fromStart: true });
        // Let the gateway open it, then the socket drops before any message came, and stays
        // down while three are sent.
        await sleep(300);
        gate.open = false;
        sockets.at(-1)!.terminate();
        for (let i = 0; i < 3; i++) await send();
        await sleep(300);
        gate.open = true;

        const expected = ['m1', 'm2', 'm3', 'm4'].slice(sentBefore, sentBefore + 3);
        await holds(() => expect(bodiesOf(events)).toEqual(expected), 15_000);
        await send();
        await holds(() => expect(bodiesOf(events)).toEqual([...expected, `m${sentBefore + 4}`]));
        expect(new Set(onTheWire).size).toBe(onTheWire.length);
        expect(errors).toEqual([]);
      },
    );

    it.each([
      ['with `after`', true],
      ['without `after`', false],
    ])(
      'ends a subscription to a room of others %s with exactly one FORBIDDEN, and tries no more',
      async (_, withAfter) => {
        const { TrackedWebSocket, subscribes } = trackedSockets();
        const { room, send } = await directRoom(`ora${+withAfter}`, `pia${+withAfter}`, WebSocket);
        const m1 = await send();
        const outsider = await graph.person(`quinn${+withAfter}`);
        const c = client({ webSocketImpl: TrackedWebSocket });
        await c.logIn(outsider.email, TEST_PASSWORD);

        const errors: unknown[] = [];
        const events: RoomEventInfoFragment[] = [];
        c.subscribeRoom(room.id, {
          ...(withAfter ? { after: m1 } : {}),
          onEvent: (e) => events.push(e),
          onError: (e) => errors.push(e),
        });

        await holds(() => expect(errors).toHaveLength(1));
        expect(errors[0]).toBeInstanceOf(MoimGraphQLError);
        expect(errors[0]).toMatchObject({ code: 'FORBIDDEN' });
        // Longer than the first backoffs, and a message sent meanwhile: nothing more happens.
        await send();
        await sleep(1_500);
        expect(errors).toHaveLength(1);
        // Without `after` the resume point's query was refused already: nothing subscribed.
        expect(subscribes).toHaveLength(withAfter ? 1 : 0);
        expect(events).toEqual([]);
      },
    );

    it('subscribes again after a LoggedOutError once logged in anew, also when the first connection fails', async () => {
      const { TrackedWebSocket, gate } = trackedSockets();
      const { first, firstClient, room, send } = await directRoom('rex', 'sam', TrackedWebSocket);
      const m1 = await send();
      const session = firstClient.session()!;
      // Logged out on another device: the next refresh finds the session revoked.
      ok(await graph.gql('mutation($t: String!) { logOut(refreshToken: $t) }', { t: session.refreshToken }));
      await untilExpired(session);
      const ended: unknown[] = [];
      firstClient.subscribeRoom(room.id, { after: m1, onEvent: () => {}, onError: (e) => ended.push(e) });
      await holds(() => expect(ended).toHaveLength(1), 15_000);
      expect(ended[0]).toBeInstanceOf(LoggedOutError);

      await firstClient.logIn(first.email, TEST_PASSWORD);
      // The new session's first connection attempt fails (no network for a moment).
      gate.open = false;
      const events: RoomEventInfoFragment[] = [];
      const errors: unknown[] = [];
      firstClient.subscribeRoom(room.id, {
        after: m1,
        onEvent: (e) => events.push(e),
        onError: (e) => errors.push(e),
      });
      await sleep(500);
      gate.open = true;
      await send();
      await holds(() => expect(bodiesOf(events)).toEqual(['m2']), 15_000);
      expect(errors).toEqual([]);
    });

    it('resubscribes, keeping `after`, when the gateway closes the socket with a code graphql-ws gives up on', async () => {
      // A gateway allowing one socket per user: a second one is closed with 1008 (policy
      // violation), after which graphql-ws would not reconnect on its own.
      const strict = await graph.anotherGateway({ env: { WS_CONNECTIONS_PER_USER: '1' } });
      const { TrackedWebSocket, onTheWire, closeCodes } = trackedSockets();
      const { first, firstClient, room, send } = await directRoom('mia', 'ned', TrackedWebSocket, strict.url);
      const m1 = await send();

      // The user's one socket is taken, by the same user on another device.
      const { logIn } = ok(
        await graph.gql<{ logIn: { accessToken: string } }>(
          'mutation($i: LogInInput!) { logIn(input: $i) { accessToken } }',
          { i: { email: first.email, password: TEST_PASSWORD } },
        ),
      );
      const other = new WebSocket(wsUrlFor(strict.url), 'graphql-transport-ws');
      await new Promise<void>((resolve, reject) => {
        other.on('open', () =>
          other.send(
            JSON.stringify({
              type: 'connection_init',
              payload: { authorization: `Bearer ${logIn.accessToken}` },
            }),
          ),
        );
        other.on('message', (data) => JSON.parse(String(data)).type === 'connection_ack' && resolve());
        other.on('error', reject);
      });

      const events: RoomEventInfoFragment[] = [];
      const errors: unknown[] = [];
      firstClient.subscribeRoom(room.id, {
        after: m1,
        onEvent: (e) => events.push(e),
        onError: (e) => errors.push(e),
      });
      await holds(() => expect(closeCodes).toContain(1008));
      await send();
      await send();
      other.close();

      await holds(() => expect(bodiesOf(events)).toEqual(['m2', 'm3']), 15_000);
      expect(onTheWire).toHaveLength(2);
      expect(errors).toEqual([]);
    });
  });
});
