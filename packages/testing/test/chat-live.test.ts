import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAccessToken, signCaller } from '@moim/kit';
import { eventually, TEST_JWT_SECRET, TEST_SECRET } from '@moim/kit/testing';
import { messageRepr, roomChannel } from '@moim/chat';
import { applyCatalog, parseUiucCsv, SectionEntity, UIUC, type CatalogDeps } from '@moim/course-catalog';
import { codeOf, ok, randomClientIp, startGraph, type Account, type GqlResult, type Graph } from '../src';
import { MAX_BATCHED_OPERATIONS } from '@moim/gateway';
import { liveClient, rawSocket, type LiveClient, type Received } from '../src/live';

// Live chat through the gateway: graphql-ws on its /graphql port, subscriptions planned from the
// supergraph, events produced by chat and completed by the other subgraphs (sender's nickname
// from social) through the query plan, fanned out per selection.
let graph: Graph;
let termId: string;
let universityId: string;
const clients: LiveClient[] = [];

beforeAll(async () => {
  graph = await startGraph();
  const csv = readFileSync(
    new URL('../../../services/course-catalog/demo/uiuc-2025-su-cs-math-ece.csv', import.meta.url),
    'utf8',
  );
  const summary = await applyCatalog(graph.service<CatalogDeps>('course-catalog').deps.db, {
    source: 'uiuc-csv',
    university: UIUC,
    termCode: '2025-su',
    catalog: parseUiucCsv(csv),
  });
  termId = summary.termId;
  universityId = summary.universityId;
});
afterAll(async () => {
  for (const c of clients) await c.close().catch(() => undefined);
  await graph?.stop();
});

const connect = (token?: string, url = graph.url) => {
  const c = liveClient(url, token);
  clients.push(c);
  return c;
};

const sectionId = async (crn: string) =>
  (
    await graph
      .service<CatalogDeps>('course-catalog')
      .deps.db.dataSource.getRepository(SectionEntity)
      .findOneByOrFail({ termId, externalId: crn })
  ).id;

/** Puts the section on each person's timetable and waits for chat to make them members. */
async function join(people: Account[], crn: string): Promise<string> {
  const section = await sectionId(crn);
  for (const p of people) {
    ok(
      await graph.gql(
        'mutation($u: ID) { setMyUniversity(universityId: $u) { id } }',
        { u: universityId },
        p.token,
      ),
    );
    ok(
      await graph.gql(
        'mutation($s: ID!) { addToTimetable(sectionId: $s) { term { id } } }',
        { s: section },
        p.token,
      ),
    );
  }
  await graph.settled();
  const room = ok(
    await graph.gql<{ section: { chatRoom: { id: string } } }>(
      'query($s: ID!) { section(id: $s) { chatRoom { id } } }',
      { s: section },
      people[0]!.token,
    ),
  );
  return room.section.chatRoom.id;
}

const SEND = `mutation($room: ID!, $body: String, $cid: String!) {
  sendMessage(roomId: $room, body: $body, clientMessageId: $cid) { id body }
}`;
const send = async (token: string, room: string, body: string, url = graph.url) => {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': randomClientIp(),
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ query: SEND, variables: { room, body, cid: randomUUID() } }),
  });
  return ok((await res.json()) as GqlResult<{ sendMessage: { id: string } }>).sendMessage.id;
};

const ROOM_EVENTS = `subscription($room: ID!, $after: ID) {
  roomEvents(roomId: $room, after: $after) {
    __typename
    ... on MessageAdded { message { id body sender { id nickname } } }
    ... on Typing { user { nickname } }
  }
}`;
type RoomEvent = {
  roomEvents: {
    __typename: string;
    message?: { id: string; body: string; sender: { id: string; nickname: string } };
    user?: { nickname: string };
  };
};
const bodies = (r: Received<RoomEvent>) =>
  r.events.filter((e) => e.roomEvents.__typename === 'MessageAdded').map((e) => e.roomEvents.message!.body);

/**
 * `roomEvents` of `room` for the holder of `token`, once live: the gateway's hub holds it (so
 * nothing published from now on is missed), and a typing event by `typist` has made the round
 * trip through chat and the channel.
 */
async function liveRoom(token: string, room: string, typist = token): Promise<Received<RoomEvent>> {
  const before = graph.gateway.subscriptions.stats().subscribers;
  const received = connect(token).subscribe<RoomEvent>(ROOM_EVENTS, { room });
  await eventually(
    () => graph.gateway.subscriptions.stats().subscribers > before || received.errors !== null,
  );
  await eventually(async () => {
    await graph.gql('mutation($r: ID!) { typing(roomId: $r) }', { r: room }, typist);
    return received.events.some((e) => e.roomEvents.__typename === 'Typing') || received.errors;
  }, 15_000);
  expect(received.errors).toBeNull();
  return received;
}

const entitiesCalls = async () => {
  const metric = await graph.service('social').metrics.rootFields.get();
  return metric.values.find((v) => v.labels.field === '_entities')?.value ?? 0;
};

describe('room events through the gateway', () => {
  it('delivers a message with fields of other subgraphs resolved through the plan', async () => {
    const [a, b] = [await graph.person('ana'), await graph.person('ben')];
    const room = await join([a, b], '30770');
    const events = await liveRoom(a.token, room, b.token);
    const id = await send(b.token, room, 'hello from ben');
    await eventually(() => bodies(events).includes('hello from ben'));
    const added = events.events.find((e) => e.roomEvents.message?.id === id)!;
    expect(added.roomEvents.message!.sender).toEqual({ id: b.id, nickname: b.nickname });
  });

  it('shapes the event to the client selection: aliases, fragments, __typename', async () => {
    const [a, b] = [await graph.person('ali'), await graph.person('bo')];
    const room = await join([a, b], '30770');
    const events = connect(a.token).subscribe<Record<string, unknown>>(
      `subscription($room: ID!) {
        ev: roomEvents(roomId: $room) { kind: __typename ...added ... on Typing { roomId } }
      }
      fragment added on MessageAdded { msg: message { text: body author: sender { name: nickname } } }`,
      { room },
    );
    await eventually(async () => {
      await graph.gql('mutation($r: ID!) { typing(roomId: $r) }', { r: room }, b.token);
      return events.events.length > 0;
    }, 15_000);
    await send(b.token, room, 'shaped');
    await eventually(() => events.events.some((e) => (e.ev as { kind: string }).kind === 'MessageAdded'));
    const added = events.events.find((e) => (e.ev as { kind: string }).kind === 'MessageAdded');
    expect(added).toEqual({
      ev: { kind: 'MessageAdded', msg: { text: 'shaped', author: { name: b.nickname } } },
    });
  });

  it('resolves an event once per selection: 50 subscribers cost one _entities call to social', async () => {
    const people: Account[] = [];
    for (let i = 0; i < 10; i++) people.push(await graph.person('crowd'));
    const room = await join(people, '42186');
    const subscriptions: Array<Received<RoomEvent>> = [];
    // 10 people, 5 sockets each: 50 subscribers with the same selection.
    // Typing events (how the test knows a subscription is live) ask social nothing here, so the
    // only _entities calls are for messages.
    const selection = `subscription($room: ID!) {
      roomEvents(roomId: $room) { __typename ... on MessageAdded { message { id body sender { id nickname } } } }
    }`;
    for (const p of people)
      for (let i = 0; i < 5; i++)
        subscriptions.push(connect(p.token).subscribe<RoomEvent>(selection, { room }));
    let turn = 0;
    await eventually(async () => {
      // Typing is limited per person: take turns.
      await graph.gql('mutation($r: ID!) { typing(roomId: $r) }', { r: room }, people[turn++ % 10]!.token);
      return subscriptions.every((s) => s.events.some((e) => e.roomEvents.__typename === 'Typing'));
    }, 20_000);
    expect(subscriptions.every((s) => s.errors === null)).toBe(true);
    await graph.settled();
    const before = await entitiesCalls();
    await send(people[1]!.token, room, 'one resolution');
    await eventually(() => subscriptions.every((s) => bodies(s).includes('one resolution')));
    expect((await entitiesCalls()) - before).toBe(1);
    for (const s of subscriptions)
      expect(s.events.at(-1)!.roomEvents.message!.sender.nickname).toBe(people[1]!.nickname);
    // The gateway's metrics count them (other tests' subscriptions may still be open too).
    const metrics = await (await fetch(graph.gateway.http.metricsUrl())).text();
    const gauge = (name: string) =>
      Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(metrics)?.[1]);
    expect(gauge('gateway_live_subscribers')).toBeGreaterThanOrEqual(50);
    expect(gauge('gateway_ws_connections')).toBeGreaterThanOrEqual(50);
  });

  it('refuses non-members, and ends a member’s subscription when they leave the room', async () => {
    const [member, stranger] = [await graph.person('member'), await graph.person('stranger')];
    const room = await join([member], '41270');
    const refused = connect(stranger.token).subscribe<RoomEvent>(ROOM_EVENTS, { room });
    await eventually(() => refused.errors !== null);
    expect(refused.errors![0]!.extensions?.code).toBe('FORBIDDEN');
    expect(
      codeOf(await graph.gql(SEND, { room, body: 'let me in', cid: randomUUID() }, stranger.token)),
    ).toBe('FORBIDDEN');
    const anonymous = connect().subscribe<RoomEvent>(ROOM_EVENTS, { room });
    await eventually(() => anonymous.errors !== null);
    expect(anonymous.errors![0]!.extensions?.code).toBe('UNAUTHENTICATED');

    const events = await liveRoom(member.token, room);
    ok(
      await graph.gql(
        'mutation($s: ID!) { removeFromTimetable(sectionId: $s) { term { id } } }',
        { s: await sectionId('41270') },
        member.token,
      ),
    );
    await graph.settled();
    await eventually(() => events.errors !== null);
    expect(events.errors![0]!.extensions?.code).toBe('FORBIDDEN');
    await eventually(() => events.completed);
  });

  it('gives a subscriber that reconnects with its last message exactly what it missed, then live', async () => {
    const [a, b] = [await graph.person('away'), await graph.person('talker')];
    const room = await join([a, b], '30770');
    const first = await liveRoom(a.token, room);
    // B listens all along, so the gateway keeps hearing the room while A is away.
    const keeper = await liveRoom(b.token, room);
    const lastSeen = await send(b.token, room, 'before the tunnel');
    await eventually(() => bodies(first).includes('before the tunnel'));
    first.stop();
    const missed = Array.from({ length: 20 }, (_, i) => `missed ${i}`);
    for (const body of missed) await send(b.token, room, body);
    await eventually(() => bodies(keeper).includes('missed 19'));
    await graph.settled();

    const requests = async () => {
      const metric = await graph.service('social').metrics.httpDuration.get();
      return metric.values
        .filter((v) => v.metricName?.endsWith('_count') && v.labels.route === '/graphql')
        .reduce((sum, v) => sum + v.value, 0);
    };
    const before = await requests();
    const again = connect(a.token).subscribe<RoomEvent>(ROOM_EVENTS, { room, after: lastSeen });
    await eventually(() => bodies(again).length >= 20);
    // The 20 missed senders were resolved in batches: a request to social per batch, not per message.
    expect((await requests()) - before).toBe(Math.ceil(20 / MAX_BATCHED_OPERATIONS));
    await send(b.token, room, 'after the tunnel');
    await eventually(() => bodies(again).includes('after the tunnel'));
    expect(bodies(again)).toEqual([...missed, 'after the tunnel']);

    // Messages sent while a subscription is opening fall neither between its backlog and its
    // live events nor twice.
    const third = connect(a.token).subscribe<RoomEvent>(ROOM_EVENTS, { room, after: lastSeen });
    const racing = Array.from({ length: 10 }, (_, i) => `racing ${i}`);
    for (const body of racing) await send(b.token, room, body);
    await eventually(() => bodies(third).includes('racing 9'));
    await new Promise((r) => setTimeout(r, 200));
    expect(bodies(third)).toEqual([...missed, 'after the tunnel', ...racing]);
  });

  it('replays a room from its first message with fromStart, then live; never with after', async () => {
    const [a, b] = [await graph.person('fresh'), await graph.person('early')];
    // A room of their own: the section's room holds the other tests' messages.
    const room = ok(
      await graph.gql<{ openDirectRoom: { id: string } }>(
        'mutation($u: ID!) { openDirectRoom(userId: $u) { id } }',
        { u: b.id },
        a.token,
      ),
    ).openDirectRoom.id;
    const keeper = await liveRoom(b.token, room);
    const FROM_START = `subscription($room: ID!, $after: ID) {
      roomEvents(roomId: $room, after: $after, fromStart: true) { __typename ... on MessageAdded { message { id body sender { id nickname } } } }
    }`;
    // A client that found the room empty, subscribing after two messages arrived meanwhile.
    for (const body of ['first', 'second']) await send(b.token, room, body);
    await eventually(() => bodies(keeper).includes('second'));
    const events = connect(a.token).subscribe<RoomEvent>(FROM_START, { room });
    await eventually(() => bodies(events).length >= 2);
    await send(b.token, room, 'third');
    await eventually(() => bodies(events).includes('third'));
    await new Promise((r) => setTimeout(r, 200));
    expect(bodies(events)).toEqual(['first', 'second', 'third']);

    const lastId = keeper.events.at(-1)!.roomEvents.message!.id;
    const both = connect(a.token).subscribe<RoomEvent>(FROM_START, { room, after: lastId });
    await eventually(() => both.errors !== null);
    expect(both.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('refuses `after` that is not a message of the room', async () => {
    const a = await graph.person('lost');
    const room = await join([a], '30770');
    const events = connect(a.token).subscribe<RoomEvent>(ROOM_EVENTS, { room, after: randomUUID() });
    await eventually(() => events.errors !== null);
    expect(events.errors![0]!.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('edits and deletions', () => {
  it('reach subscribers as MessageEdited and MessageDeleted, the deleted one without its body', async () => {
    const [a, b] = [await graph.person('editor'), await graph.person('watcher')];
    const room = await join([a, b], '30770');
    const events = connect(b.token).subscribe<{
      roomEvents: {
        __typename: string;
        message?: { id: string; body: string | null; deleted: boolean; editedAt: string | null };
      };
    }>(
      `subscription($room: ID!) { roomEvents(roomId: $room) { __typename
        ... on MessageEdited { message { id body deleted editedAt } }
        ... on MessageDeleted { message { id body deleted editedAt } } } }`,
      { room },
    );
    await eventually(async () => {
      await graph.gql('mutation($r: ID!) { typing(roomId: $r) }', { r: room }, a.token);
      return events.events.length > 0;
    }, 15_000);
    const id = await send(a.token, room, 'tpyo');
    ok(
      await graph.gql(
        'mutation($id: ID!) { editMessage(messageId: $id, body: "typo") { id } }',
        { id },
        a.token,
      ),
    );
    ok(await graph.gql('mutation($id: ID!) { deleteMessage(messageId: $id) { id } }', { id }, a.token));
    await eventually(() => events.events.some((e) => e.roomEvents.__typename === 'MessageDeleted'));
    const [edited, deleted] = ['MessageEdited', 'MessageDeleted'].map(
      (t) => events.events.find((e) => e.roomEvents.__typename === t)!.roomEvents.message!,
    );
    expect(edited).toMatchObject({ id, body: 'typo', deleted: false });
    expect(edited!.editedAt).not.toBeNull();
    expect(deleted).toMatchObject({ id, body: null, deleted: true });
  });
});

describe('my chat events', () => {
  it('tells me of a new message in any of my rooms with my unread count', async () => {
    const [me, other] = [await graph.person('me'), await graph.person('other')];
    const room = await join([me, other], '30770');
    const activity = connect(me.token).subscribe<{
      myChatEvents: {
        roomId: string;
        unreadCount: number;
        message: { body: string; sender: { nickname: string } } | null;
      };
    }>('subscription { myChatEvents { roomId unreadCount message { body sender { nickname } } } }');
    // The subscription is open once the gateway listens on my channel.
    await eventually(async () => {
      await send(other.token, room, 'are you there?');
      await graph.settled();
      return activity.events.length > 0;
    }, 15_000);
    const last = activity.events.at(-1)!.myChatEvents;
    expect(last.roomId).toBe(room);
    expect(last.message).toEqual({ body: 'are you there?', sender: { nickname: other.nickname } });
    expect(last.unreadCount).toBeGreaterThanOrEqual(1);
  });
});

describe('scale-out: two gateways, two chat replicas, one Redis', () => {
  it('delivers what B sends through gateway 2 and chat 2 to A on gateway 1, in order', async () => {
    const chat2 = await graph.anotherInstance('chat');
    const gateway2 = await graph.anotherGateway({ urls: { chat: chat2 } });
    const [a, b] = [await graph.person('near'), await graph.person('far')];
    const room = await join([a, b], '42186');
    const events = await liveRoom(a.token, room, b.token);

    const sent = Array.from({ length: 200 }, (_, i) => `rapid ${i}`);
    // Ten at a time, through both chat replicas at once: chat numbers them in commit order, the
    // replicas publish as they finish, the gateway delivers in the room's order.
    const ids: string[] = [];
    for (let i = 0; i < sent.length; i += 10)
      ids.push(
        ...(await Promise.all(
          sent.slice(i, i + 10).map((body, j) => send(b.token, room, body, j % 2 ? gateway2.url : graph.url)),
        )),
      );
    await eventually(() => bodies(events).filter((t) => t.startsWith('rapid')).length === 200, 30_000);
    const received = events.events
      .filter((e) => e.roomEvents.message?.body.startsWith('rapid'))
      .map((e) => e.roomEvents.message!);
    expect(new Set(received.map((m) => m.id))).toEqual(new Set(ids));
    expect(received.every((m) => m.sender.nickname === b.nickname)).toBe(true);
    // The room's own order (by seq), read back through the graph, is the order received.
    const history = ok(
      await graph.gql<{
        chatRoom: { messages: { edges: Array<{ node: { id: string } }>; pageInfo: { startCursor: string } } };
      }>(
        'query($r: ID!) { chatRoom(id: $r) { messages(last: 100) { edges { node { id } } pageInfo { startCursor } } } }',
        { r: room },
        a.token,
      ),
    );
    const newest = history.chatRoom.messages.edges.map((e) => e.node.id);
    const older = ok(
      await graph.gql<{ chatRoom: { messages: { edges: Array<{ node: { id: string } }> } } }>(
        'query($r: ID!, $before: String) { chatRoom(id: $r) { messages(last: 100, before: $before) { edges { node { id } } } } }',
        { r: room, before: history.chatRoom.messages.pageInfo.startCursor },
        a.token,
      ),
    ).chatRoom.messages.edges.map((e) => e.node.id);
    expect(received).toHaveLength(200);
    expect(received.map((m) => m.id)).toEqual([...older, ...newest].slice(-200));
  });
});

describe('opening a live field', () => {
  it('is refused to anyone but the gateway: unsigned, forged or for another body', async () => {
    const person = await graph.person('signed');
    const room = await join([person], '30770');
    const openUrl = new URL('/live/open', graph.subgraphUrl('chat'));
    const body = JSON.stringify({ field: 'roomEvents', args: { roomId: room } });
    const post = (headers: Record<string, string>, text = body) =>
      fetch(openUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: text,
      });
    const unsigned = await post({});
    expect(unsigned.status).toBe(401);
    expect(
      ((await unsigned.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions
        .code,
    ).toBe('UNAUTHENTICATED');
    const caller = { userId: person.id, role: 'USER' as const, ip: null, requestId: 'r' };
    const signedForOther = signCaller(caller, TEST_SECRET, 'chat', '{"field":"myChatEvents","args":{}}');
    expect((await post({ 'x-moim-caller': signedForOther })).status).toBe(401);
    const good = await post({ 'x-moim-caller': signCaller(caller, TEST_SECRET, 'chat', body) });
    expect(((await good.json()) as { opening: { channel: string } }).opening.channel).toBe(
      `live:chat:room:${room}`,
    );
  });
});

describe('the graphql-ws protocol on the gateway', () => {
  it('closes a socket that sends no connection_init in time with 4408', async () => {
    const short = await graph.anotherGateway({ env: { WS_CONNECTION_INIT_TIMEOUT_MS: '300' } });
    const socket = rawSocket(short.url);
    await socket.opened;
    expect((await socket.waitClosed()).code).toBe(4408);
  });

  it('closes on a second connection_init with 4429', async () => {
    const socket = rawSocket(graph.url);
    await socket.send({ type: 'connection_init', payload: {} });
    await eventually(() => socket.messages.some((m) => m.type === 'connection_ack'));
    await socket.send({ type: 'connection_init', payload: {} });
    expect((await socket.waitClosed()).code).toBe(4429);
  });

  it('closes with 4403 on a bad token and on an expired one, saying which', async () => {
    const bad = rawSocket(graph.url);
    await bad.send({ type: 'connection_init', payload: { authorization: 'Bearer not-a-token' } });
    expect(await bad.waitClosed()).toEqual({ code: 4403, reason: 'Invalid access token' });

    const person = await graph.person('expired');
    const expired = await signAccessToken(
      { userId: person.id, role: 'USER', sessionId: randomUUID() },
      TEST_JWT_SECRET,
      -60,
    );
    const old = rawSocket(graph.url);
    await old.send({ type: 'connection_init', payload: { authorization: `Bearer ${expired}` } });
    const closed = await old.waitClosed();
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/expired/);
  });

  it('ends a connection whose access token expires while it is open, with the reason', async () => {
    const person = await graph.person('ticking');
    const room = await join([person], '30770');
    const shortLived = await signAccessToken(
      { userId: person.id, role: 'USER', sessionId: randomUUID() },
      TEST_JWT_SECRET,
      2,
    );
    const socket = rawSocket(graph.url);
    await socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${shortLived}` } });
    await eventually(() => socket.messages.some((m) => m.type === 'connection_ack'));
    await socket.send({ id: '1', type: 'subscribe', payload: { query: ROOM_EVENTS, variables: { room } } });
    const closed = await socket.waitClosed(10_000);
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/expired/);
  });

  it('closes on a subscribe before the ack (4401) and on a duplicate operation id (4409)', async () => {
    const early = rawSocket(graph.url);
    await early.send({
      id: '1',
      type: 'subscribe',
      payload: { query: 'subscription { myChatEvents { roomId } }' },
    });
    expect((await early.waitClosed()).code).toBe(4401);

    const person = await graph.person('twice');
    const room = await join([person], '30770');
    const socket = rawSocket(graph.url);
    await socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${person.token}` } });
    await eventually(() => socket.messages.some((m) => m.type === 'connection_ack'));
    const subscribe = { id: 'same', type: 'subscribe', payload: { query: ROOM_EVENTS, variables: { room } } };
    await socket.send(subscribe);
    await socket.send(subscribe);
    expect((await socket.waitClosed()).code).toBe(4409);
  });

  it('bounds subscriptions per socket, and frees a slot when one ends, by the client or by a revoke', async () => {
    const narrow = await graph.anotherGateway({ env: { WS_SUBSCRIPTIONS_PER_CONNECTION: '1' } });
    const person = await graph.person('slots');
    const [first, second] = [await join([person], '30770'), await join([person], '41270')];
    const c = connect(person.token, narrow.url);
    const a = c.subscribe<RoomEvent>(ROOM_EVENTS, { room: first });
    await eventually(async () => {
      await graph.gql('mutation($r: ID!) { typing(roomId: $r) }', { r: first }, person.token);
      return a.events.length > 0;
    }, 15_000);
    const refused = c.subscribe<RoomEvent>(ROOM_EVENTS, { room: second });
    await eventually(() => refused.errors !== null);
    expect(refused.errors![0]!.extensions?.code).toBe('RATE_LIMITED');
    // Leaving the first room ends that subscription (revoked): its slot is free again.
    ok(
      await graph.gql(
        'mutation($s: ID!) { removeFromTimetable(sectionId: $s) { term { id } } }',
        { s: await sectionId('30770') },
        person.token,
      ),
    );
    await graph.settled();
    await eventually(() => a.completed);
    const b = c.subscribe<RoomEvent>(ROOM_EVENTS, { room: second });
    await eventually(async () => {
      await graph.gql('mutation($r: ID!) { typing(roomId: $r) }', { r: second }, person.token);
      return b.events.length > 0 || b.errors !== null;
    }, 15_000);
    expect(b.errors).toBeNull();
  });

  it('drops a slow consumer with 1013 instead of buffering for it', async () => {
    const small = await graph.anotherGateway({ env: { WS_MAX_BUFFERED_BYTES: '65536' } });
    const person = await graph.person('slow');
    // A room of its own: the 16 MB below would be a flood for every other test's subscribers.
    const room = await join([person], '41568');
    const socket = rawSocket(small.url);
    await socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${person.token}` } });
    await eventually(() => socket.messages.some((m) => m.type === 'connection_ack'));
    await socket.send({
      id: 'slow',
      type: 'subscribe',
      payload: { query: ROOM_EVENTS, variables: { room } },
    });
    // Live once a typing event arrives; then the client stops reading its socket.
    await eventually(async () => {
      await graph.gql('mutation($r: ID!) { typing(roomId: $r) }', { r: room }, person.token);
      return socket.messages.some((m) => m.type === 'next');
    }, 15_000);
    socket.socket.pause();
    // 4 kB events published as chat publishes them, far more than the kernel's socket buffers hold.
    const chat = graph.service('chat');
    const rows = (await chat.deps.db.dataSource.query('SELECT last_seq FROM chat_rooms WHERE id = ?', [
      room,
    ])) as Array<{ last_seq: number }>;
    const head = Number(rows[0]!.last_seq);
    const body = 'x'.repeat(4000);
    for (let i = 1; i <= 4000; i++) {
      const message = {
        id: randomUUID(),
        roomId: room,
        seq: head + i,
        senderId: person.id,
        body,
        clientMessageId: `slow-${i}`,
        createdAt: new Date(),
        editedAt: null,
        deletedAt: null,
      };
      void chat.deps.pubsub.publish(roomChannel(room), {
        seq: message.seq,
        data: { __typename: 'MessageAdded', message: messageRepr(message, [], 0) },
      });
      if (i % 200 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    // The gateway gave up on the socket: its hub no longer holds the subscriber.
    await eventually(() => small.gateway.subscriptions.stats().subscribers === 0, 30_000);
    socket.socket.resume();
    const closed = await socket.waitClosed(30_000);
    expect(closed.code).toBe(1013);
    expect(socket.messages.filter((m) => m.type === 'next').length).toBeLessThan(4000);
  });

  it('closes on a malformed message with 4400', async () => {
    const socket = rawSocket(graph.url);
    await socket.send('{"type":"connection_init"');
    expect((await socket.waitClosed()).code).toBe(4400);
  });

  it('refuses an oversize message by closing with 1009, before reading it', async () => {
    const socket = rawSocket(graph.url);
    await socket.send({ type: 'connection_init', payload: {} });
    await eventually(() => socket.messages.some((m) => m.type === 'connection_ack'));
    await socket.send({
      id: '1',
      type: 'subscribe',
      payload: { query: `subscription { ${'x'.repeat(70_000)} }` },
    });
    expect((await socket.waitClosed()).code).toBe(1009);
  });

  it('answers a malformed document, an invalid one and a query with clear errors, keeping the socket', async () => {
    const person = await graph.person('typo');
    const socket = rawSocket(graph.url);
    await socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${person.token}` } });
    await eventually(() => socket.messages.some((m) => m.type === 'connection_ack'));
    const errorOf = async (id: string, payload: unknown) => {
      await socket.send({ id, type: 'subscribe', payload });
      const message = (await eventually(() => socket.messages.find((m) => m.id === id)))!;
      expect(message.type).toBe('error');
      return (message.payload as Array<{ message: string; extensions: { code: string } }>)[0]!;
    };
    expect((await errorOf('1', { query: 'subscription { roomEvents(' })).extensions.code).toBe(
      'GRAPHQL_PARSE_FAILED',
    );
    const invalid = await errorOf('2', { query: 'subscription { roomEvents(roomId: "x") { nope } }' });
    expect(invalid.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect((await errorOf('3', { query: '{ me { id } }' })).message).toMatch(/Only subscriptions/);
    expect((await errorOf('4', { query: '' })).extensions.code).toBe('BAD_REQUEST');
    expect(socket.closed()).toBeNull();
  });

  it('bounds connections per user (1008 beyond)', async () => {
    const narrow = await graph.anotherGateway({ env: { WS_CONNECTIONS_PER_USER: '2' } });
    const person = await graph.person('many');
    const sockets = [0, 1, 2].map(() => rawSocket(narrow.url));
    for (const s of sockets.slice(0, 2)) {
      await s.send({ type: 'connection_init', payload: { authorization: `Bearer ${person.token}` } });
      await eventually(() => s.messages.some((m) => m.type === 'connection_ack'));
    }
    await sockets[2]!.send({ type: 'connection_init', payload: { authorization: `Bearer ${person.token}` } });
    expect((await sockets[2]!.waitClosed()).code).toBe(1008);
    for (const s of sockets.slice(0, 2)) s.socket.close();
  });
});

describe('sending', () => {
  it('stores one message for a repeated clientMessageId, and nothing for an empty or oversize body', async () => {
    const a = await graph.person('retry');
    const room = await join([a], '30770');
    const cid = randomUUID();
    const first = ok(
      await graph.gql<{ sendMessage: { id: string } }>(SEND, { room, body: 'once', cid }, a.token),
    );
    const again = ok(
      await graph.gql<{ sendMessage: { id: string } }>(SEND, { room, body: 'once', cid }, a.token),
    );
    expect(again.sendMessage.id).toBe(first.sendMessage.id);
    const count = async () =>
      Number(
        (
          (await graph
            .service('chat')
            .deps.db.dataSource.query('SELECT COUNT(*) AS n FROM chat_messages WHERE room_id = ?', [
              room,
            ])) as Array<{
            n: number | string;
          }>
        )[0]!.n,
      );
    const stored = await count();
    expect(codeOf(await graph.gql(SEND, { room, body: '   ', cid: randomUUID() }, a.token))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await graph.gql(SEND, { room, body: 'x'.repeat(4001), cid: randomUUID() }, a.token))).toBe(
      'BAD_USER_INPUT',
    );
    expect(await count()).toBe(stored);
  });
});
