import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Like } from 'typeorm';
import { encodeCursor, OutboxEvent, type Caller } from '@moim/kit';
import { eventually } from '@moim/kit/testing';
import { MediaEntity } from '@moim/media';
import { applyCatalog, parseUiucCsv, SectionEntity, UIUC, type ImportSummary } from '@moim/course-catalog';
import {
  ChatMemberEntity,
  ChatMessageEntity,
  ChatRoomEntity,
  fanOut,
  openMyChatEvents,
  openRoomEvents,
  roomChannel,
  userChannel,
  type ChatContext,
  type ChatDeps,
} from '@moim/chat';
import { codeOf, ok, startGraph, type Account, type Graph } from '../src';

// Chat through the gateway: section rooms joined and left with the timetable (events from the
// course catalog), direct rooms, messages with their idempotent sends, edits, deletes, read
// positions and attachments, the pages of a room, and the fan-out job's live events and pushes.
// Subscriptions themselves are the gateway's: here the live events are heard on the pub/sub
// channels the chat service publishes on, and the live fields are opened directly.
let graph: Graph;
let uiuc: ImportSummary;
let jpeg: Buffer;

beforeAll(async () => {
  graph = await startGraph();
  uiuc = await applyCatalog(graph.service('course-catalog').deps.db, {
    source: 'uiuc-csv',
    university: UIUC,
    termCode: '2025-su',
    catalog: parseUiucCsv(
      readFileSync(
        new URL('../../../services/course-catalog/demo/uiuc-2025-su-cs-math-ece.csv', import.meta.url),
        'utf8',
      ),
    ),
  });
  jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } })
    .jpeg()
    .toBuffer();
});
afterAll(() => graph?.stop());

const chat = () => graph.service<ChatDeps>('chat');
const chatDb = () => chat().deps.db.dataSource;

/** Sections of the sample not used yet: each test takes its own, so rooms are not shared. */
let unused: string[] = [];
const freshSection = async () => {
  if (!unused.length)
    unused = (
      await graph
        .service('course-catalog')
        .deps.db.dataSource.getRepository(SectionEntity)
        .find({ where: { termId: uiuc.termId }, order: { externalId: 'ASC' } })
    ).map((s) => s.id);
  return unused.shift()!;
};

/** A student of Illinois, ready to take sections. */
async function student(prefix = 'student'): Promise<Account> {
  const who = await graph.person(prefix);
  ok(
    await graph.gql(
      'mutation($u: ID) { setMyUniversity(universityId: $u) { id } }',
      { u: uiuc.universityId },
      who.token,
    ),
  );
  return who;
}

const ADD = 'mutation($id: ID!) { addToTimetable(sectionId: $id) { term { id } } }';
const REMOVE = 'mutation($id: ID!) { removeFromTimetable(sectionId: $id) { term { id } } }';

/** Puts the section on each one's timetable and waits for chat to apply the events. */
async function take(section: string, ...who: Account[]) {
  for (const w of who) ok(await graph.gql(ADD, { id: section }, w.token));
  await graph.settled();
}

const SECTION_ROOM = `query($id: ID!) { section(id: $id) { id chatRoom {
  id kind memberCount isMember unreadCount muted section { id } } } }`;
interface RoomView {
  id: string;
  kind: string;
  memberCount: number;
  isMember: boolean;
  unreadCount: number;
  muted: boolean;
  section: { id: string } | null;
}
const roomOfSection = async (section: string, who?: Account) =>
  ok(await graph.gql<{ section: { chatRoom: RoomView | null } }>(SECTION_ROOM, { id: section }, who?.token))
    .section.chatRoom;

/** The room of a fresh section with these members. */
async function sectionRoom(...members: Account[]): Promise<string> {
  return (await sectionRoomOf(...members)).room;
}
async function sectionRoomOf(...members: Account[]): Promise<{ room: string; section: string }> {
  const section = await freshSection();
  await take(section, ...members);
  return { room: (await roomOfSection(section, members[0]))!.id, section };
}

const SEND = `mutation($room: ID!, $body: String, $cid: String!, $att: [ID!]) {
  sendMessage(roomId: $room, body: $body, clientMessageId: $cid, attachmentIds: $att) {
    id roomId body clientMessageId deleted editedAt readBy sender { id } attachments { id } } }`;
interface MessageView {
  id: string;
  roomId: string;
  body: string | null;
  clientMessageId: string;
  deleted: boolean;
  editedAt: string | null;
  readBy: number;
  sender: { id: string };
  attachments: Array<{ id: string }>;
}
const trySend = (
  who: Account,
  room: string,
  body: string | null,
  cid: string = randomUUID(),
  att?: string[],
) => graph.gql<{ sendMessage: MessageView }>(SEND, { room, body, cid, att }, who.token);
const send = async (who: Account, room: string, body: string | null, cid?: string, att?: string[]) =>
  ok(await trySend(who, room, body, cid, att)).sendMessage;

const MESSAGES = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  chatRoom(id: $id) { messages(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id body deleted readBy attachments { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
interface MessagePage {
  edges: Array<{
    cursor: string;
    node: { id: string; body: string | null; deleted: boolean; readBy: number };
  }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string; endCursor: string };
}
const tryMessages = (who: Account, id: string, args: Record<string, unknown> = {}) =>
  graph.gql<{ chatRoom: { messages: MessagePage } }>(MESSAGES, { id, ...args }, who.token);
const messages = async (who: Account, id: string, args: Record<string, unknown> = {}) =>
  ok(await tryMessages(who, id, args)).chatRoom.messages;
const bodies = (page: MessagePage) => page.edges.map((e) => e.node.body);

const ROOM = 'query($id: ID!) { chatRoom(id: $id) { id memberCount unreadCount muted isMember } }';
const room = async (who: Account, id: string) =>
  ok(
    await graph.gql<{
      chatRoom: { id: string; memberCount: number; unreadCount: number; muted: boolean; isMember: boolean };
    }>(ROOM, { id }, who.token),
  ).chatRoom;

/** What the chat service publishes on `channel` from now on. */
async function listen(channel: string) {
  const heard: Array<Record<string, unknown>> = [];
  const stop = await chat().deps.pubsub.subscribe(channel, (m) => heard.push(m as Record<string, unknown>));
  return { heard, stop };
}
const dataOf = (heard: Array<Record<string, unknown>>, type: string) =>
  heard
    .map((m) => m.data as { __typename: string } & Record<string, unknown>)
    .filter((d) => d?.__typename === type);

/** Waits until `check` passes (its expectations stop failing). */
const until = (check: () => Promise<unknown>) =>
  eventually(async () => {
    await check();
    return true;
  });

/** A context as the live route builds it for a signed caller. */
const contextOf = (userId: string | null): ChatContext =>
  ({ caller: { userId, role: userId ? 'USER' : null } as unknown as Caller }) as ChatContext;
const codeOfError = async (work: Promise<unknown>) =>
  work.then(
    () => 'no error',
    (err: { extensions?: { code?: string } }) => err.extensions?.code,
  );

describe('section rooms', () => {
  it('joins the room of a section put on the timetable and leaves it when it comes off', async () => {
    const [ann, ben] = [await student('ann'), await student('ben')];
    const section = await freshSection();
    expect(await roomOfSection(section, ann)).toBeNull(); // nobody took it yet

    await take(section, ann, ben);
    const view = (await roomOfSection(section, ann))!;
    expect(view).toMatchObject({
      kind: 'SECTION',
      memberCount: 2,
      isMember: true,
      unreadCount: 0,
      muted: false,
      section: { id: section },
    });
    expect(await roomOfSection(section)).toBeNull(); // anonymous: not shown
    const mine = ok(
      await graph.gql<{ me: { chatRooms: { edges: Array<{ node: { id: string } }> } } }>(
        '{ me { chatRooms { edges { node { id } } } } }',
        {},
        ann.token,
      ),
    );
    expect(mine.me.chatRooms.edges.map((e) => e.node.id)).toEqual([view.id]);
    // Someone else's rooms are theirs.
    expect(
      codeOf(
        await graph.gql(
          'query($id: ID!) { user(id: $id) { chatRooms { edges { node { id } } } } }',
          { id: ben.id },
          ann.token,
        ),
      ),
    ).toBe('FORBIDDEN');

    // Taking it off: out of the room, and their subscriptions to it end (after the commit).
    const live = await listen(roomChannel(view.id));
    ok(await graph.gql(REMOVE, { id: section }, ann.token));
    await graph.settled();
    await until(async () =>
      expect(live.heard).toContainEqual({
        revoke: { userId: ann.id, message: 'You are no longer a member of this room' },
      }),
    );
    await live.stop();
    expect(await roomOfSection(section, ann)).toMatchObject({
      memberCount: 1,
      isMember: false,
      unreadCount: 0,
    });
    expect(codeOf(await graph.gql(ROOM, { id: view.id }, ann.token))).toBe('FORBIDDEN');
    expect(
      ok(
        await graph.gql<{ me: { chatRooms: { edges: unknown[] } } }>(
          '{ me { chatRooms { edges { node { id } } } } }',
          {},
          ann.token,
        ),
      ).me.chatRooms.edges,
    ).toEqual([]);

    // Back again: the same room, counted once however often the event comes.
    await take(section, ann, ann);
    expect(await roomOfSection(section, ann)).toMatchObject({ id: view.id, memberCount: 2, isMember: true });
    expect(await chatDb().getRepository(ChatRoomEntity).countBy({ sectionId: section })).toBe(1);
  });

  it('lets only members read and send, and says why to others', async () => {
    const [ann, outsider] = [await student('ann'), await student('outsider')];
    const { room: id, section } = await sectionRoomOf(ann);
    await send(ann, id, 'hello');
    expect(codeOf(await trySend(outsider, id, 'let me in'))).toBe('FORBIDDEN');
    expect(codeOf(await graph.gql(ROOM, { id }, outsider.token))).toBe('FORBIDDEN');
    expect(codeOf(await tryMessages(outsider, id))).toBe('FORBIDDEN');
    // The room is visible from its section, its messages are not.
    const seen = await graph.gql<{ section: { chatRoom: { isMember: boolean; lastMessage: unknown } } }>(
      'query($id: ID!) { section(id: $id) { chatRoom { isMember memberCount lastMessage { body } } } }',
      { id: section },
      outsider.token,
    );
    expect(codeOf(seen)).toBe('FORBIDDEN');
    expect(codeOf(await graph.gql(SEND, { room: id, body: 'hi', cid: 'anon-1' }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await trySend(ann, randomUUID(), 'nowhere'))).toBe('NOT_FOUND');
    expect(codeOf(await graph.gql(ROOM, { id: randomUUID() }, ann.token))).toBe('NOT_FOUND');
    expect(codeOf(await graph.gql(ROOM, { id: 'nope' }, ann.token))).toBe('BAD_USER_INPUT');
  });
});

describe('messages', () => {
  it('is one message however often a send is retried with its clientMessageId', async () => {
    const [ann, ben] = [await student('ann'), await student('ben')];
    const id = await sectionRoom(ann, ben);
    const live = await listen(roomChannel(id));
    const first = await send(ann, id, '  see you at 10  ', 'retry-me');
    expect(first).toMatchObject({
      roomId: id,
      body: 'see you at 10',
      clientMessageId: 'retry-me',
      deleted: false,
      editedAt: null,
      readBy: 0,
      sender: { id: ann.id },
      attachments: [],
    });
    const again = await send(ann, id, 'see you at 10', 'retry-me');
    expect(again.id).toBe(first.id);
    // Two at once: still one.
    const raced = await Promise.all([send(ann, id, 'x', 'raced'), send(ann, id, 'x', 'raced')]);
    expect(raced[0].id).toBe(raced[1].id);
    // Another sender may use the same client id: it is theirs.
    expect((await send(ben, id, 'me too', 'retry-me')).id).not.toBe(first.id);
    await graph.settled();

    const rows = chatDb().getRepository(ChatMessageEntity);
    expect(await rows.countBy({ roomId: id, clientMessageId: 'retry-me' })).toBe(2);
    expect(await rows.countBy({ roomId: id, senderId: ann.id })).toBe(2);
    expect((await rows.find({ where: { roomId: id }, order: { seq: 'ASC' } })).map((m) => m.seq)).toEqual([
      1, 2, 3,
    ]);
    expect(await chatDb().getRepository(ChatRoomEntity).findOneByOrFail({ id })).toMatchObject({
      lastSeq: 3,
      memberCount: 2,
    });
    // One fan-out job and one live event per message, in seq order.
    const jobs = await chatDb()
      .getRepository(OutboxEvent)
      .findBy({ topic: 'job:chat-fanout:message', payload: Like(`%${first.id}%`) });
    expect(jobs).toHaveLength(1);
    await until(async () => expect(dataOf(live.heard, 'MessageAdded')).toHaveLength(3));
    expect(live.heard.map((m) => m.seq)).toEqual([1, 2, 3]);
    const added = dataOf(live.heard, 'MessageAdded')[0]!.message;
    expect(added).toEqual({
      __typename: 'ChatMessage',
      id: first.id,
      roomId: id,
      sender: { __typename: 'User', id: ann.id },
      body: 'see you at 10',
      attachments: [],
      clientMessageId: 'retry-me',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      editedAt: null,
      deleted: false,
      readBy: 0,
    });
    await live.stop();
  });

  it('refuses an empty, oversize or badly identified message and stores nothing', async () => {
    const ann = await student('ann');
    const id = await sectionRoom(ann);
    const stored = () => chatDb().getRepository(ChatMessageEntity).countBy({ roomId: id });
    const refusals = [
      await trySend(ann, id, '   '),
      await trySend(ann, id, null),
      await trySend(ann, id, 'x'.repeat(4001)),
      await trySend(ann, id, 'hi', ''),
      await trySend(ann, id, 'hi', 'has space'),
      await trySend(ann, id, 'hi', 'x'.repeat(65)),
      await trySend(
        ann,
        id,
        'hi',
        undefined,
        Array.from({ length: 11 }, () => randomUUID()),
      ),
      await trySend(ann, id, 'hi', undefined, ['not-an-id']),
    ];
    expect(refusals.map(codeOf)).toEqual(refusals.map(() => 'BAD_USER_INPUT'));
    expect(refusals[2]!.errors![0]!.extensions!.field).toBe('body');
    expect(refusals[3]!.errors![0]!.extensions!.field).toBe('clientMessageId');
    expect(await stored()).toBe(0);
    expect((await room(ann, id)).unreadCount).toBe(0);
    // Exactly at the limit is fine.
    expect((await send(ann, id, 'y'.repeat(4000))).body).toHaveLength(4000);
    expect(await stored()).toBe(1);
  });

  it('edits and deletes only its sender’s messages; a deleted message keeps its place', async () => {
    const [ann, ben] = [await student('ann'), await student('ben')];
    const id = await sectionRoom(ann, ben);
    const [m1, m2, m3] = [
      await send(ann, id, 'one'),
      await send(ann, id, 'two'),
      await send(ann, id, 'three'),
    ];
    const live = await listen(roomChannel(id));
    const EDIT =
      'mutation($id: ID!, $body: String!) { editMessage(messageId: $id, body: $body) { id body editedAt deleted } }';
    const DELETE =
      'mutation($id: ID!) { deleteMessage(messageId: $id) { id body deleted attachments { id } } }';

    expect(codeOf(await graph.gql(EDIT, { id: m1.id, body: 'mine now' }, ben.token))).toBe('FORBIDDEN');
    expect(codeOf(await graph.gql(EDIT, { id: m1.id, body: '  ' }, ann.token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await graph.gql(EDIT, { id: randomUUID(), body: 'x' }, ann.token))).toBe('NOT_FOUND');
    const edited = ok(
      await graph.gql<{ editMessage: { body: string; editedAt: string } }>(
        EDIT,
        { id: m1.id, body: ' uno ' },
        ann.token,
      ),
    ).editMessage;
    expect(edited.body).toBe('uno');
    expect(edited.editedAt).toMatch(/Z$/);

    expect(codeOf(await graph.gql(DELETE, { id: m2.id }, ben.token))).toBe('FORBIDDEN');
    const deleted = ok(
      await graph.gql<{ deleteMessage: unknown }>(DELETE, { id: m2.id }, ann.token),
    ).deleteMessage;
    expect(deleted).toEqual({ id: m2.id, body: null, deleted: true, attachments: [] });
    // Twice is fine; editing it is not.
    expect(
      ok(await graph.gql<{ deleteMessage: unknown }>(DELETE, { id: m2.id }, ann.token)).deleteMessage,
    ).toEqual(deleted);
    expect(codeOf(await graph.gql(EDIT, { id: m2.id, body: 'back' }, ann.token))).toBe('BAD_USER_INPUT');
    expect((await chatDb().getRepository(ChatMessageEntity).findOneByOrFail({ id: m2.id })).body).toBeNull();

    const page = await messages(ben, id);
    expect(page.edges.map((e) => [e.node.id, e.node.body, e.node.deleted])).toEqual([
      [m1.id, 'uno', false],
      [m2.id, null, true],
      [m3.id, 'three', false],
    ]);
    await until(async () => {
      expect(dataOf(live.heard, 'MessageEdited').map((d) => (d.message as MessageView).body)).toEqual([
        'uno',
      ]);
      expect(dataOf(live.heard, 'MessageDeleted').map((d) => (d.message as MessageView).deleted)).toEqual([
        true,
      ]);
    });
    // Neither is a new message: no seq.
    expect(live.heard.every((m) => m.seq === undefined)).toBe(true);
    await live.stop();
  });

  it('pages a room backwards from the newest and forwards from a cursor, oldest first in each page', async () => {
    const ann = await student('ann');
    const id = await sectionRoom(ann);
    for (let i = 1; i <= 7; i++) await send(ann, id, `m${i}`);

    const newest = await messages(ann, id, { last: 3 });
    expect(bodies(newest)).toEqual(['m5', 'm6', 'm7']);
    expect(newest.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const before = await messages(ann, id, { last: 3, before: newest.pageInfo.startCursor });
    expect(bodies(before)).toEqual(['m2', 'm3', 'm4']);
    const oldest = await messages(ann, id, { last: 3, before: before.pageInfo.startCursor });
    expect(bodies(oldest)).toEqual(['m1']);
    expect(oldest.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });

    const forward = await messages(ann, id, { first: 4 });
    expect(bodies(forward)).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(forward.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    const rest = await messages(ann, id, { first: 4, after: forward.pageInfo.endCursor });
    expect(bodies(rest)).toEqual(['m5', 'm6', 'm7']);
    expect(rest.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    // Between two cursors, and the default page (the newest).
    expect(
      bodies(
        await messages(ann, id, {
          after: forward.edges[0]!.cursor,
          before: rest.edges[1]!.cursor,
          first: 10,
        }),
      ),
    ).toEqual(['m2', 'm3', 'm4', 'm5']);
    expect(bodies(await messages(ann, id))).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);

    const refused = [
      await tryMessages(ann, id, { first: 2, last: 2 }),
      await tryMessages(ann, id, { first: 101 }),
      await tryMessages(ann, id, { last: 0 }),
      await tryMessages(ann, id, { after: 'not a cursor' }),
      await tryMessages(ann, id, { before: 'bm9wZQ' }),
      // A cursor of another list (a keyset one) is not a place in a room.
      await tryMessages(ann, id, { after: encodeCursor({ createdAt: new Date(), id: randomUUID() }) }),
    ];
    expect(refused.map(codeOf)).toEqual(refused.map(() => 'BAD_USER_INPUT'));
  });

  it('moves read positions forward only, with unread counts and readBy to match', async () => {
    const [ann, ben, cat] = [await student('ann'), await student('ben'), await student('cat')];
    const id = await sectionRoom(ann, ben, cat);
    const other = await sectionRoom(ann, ben);
    const [m1, m2, m3] = [await send(ann, id, 'a'), await send(ann, id, 'b'), await send(ann, id, 'c')];
    const otherMessage = await send(ann, other, 'elsewhere');
    expect((await room(ben, id)).unreadCount).toBe(3);
    expect((await room(ann, id)).unreadCount).toBe(0); // sending reads
    // The sends' fan-out to each member's channel is done before listening: only reads are heard.
    await graph.drained('chat-fanout');

    const roomLive = await listen(roomChannel(id));
    const benLive = await listen(userChannel(ben.id));
    const READ = 'mutation($r: ID!, $m: ID!) { markRoomRead(roomId: $r, messageId: $m) { id unreadCount } }';
    expect(
      ok(await graph.gql<{ markRoomRead: { unreadCount: number } }>(READ, { r: id, m: m2.id }, ben.token))
        .markRoomRead.unreadCount,
    ).toBe(1);
    // Never back.
    expect(
      ok(await graph.gql<{ markRoomRead: { unreadCount: number } }>(READ, { r: id, m: m1.id }, ben.token))
        .markRoomRead.unreadCount,
    ).toBe(1);
    expect(codeOf(await graph.gql(READ, { r: id, m: otherMessage.id }, ben.token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await graph.gql(READ, { r: other, m: otherMessage.id }, cat.token))).toBe('FORBIDDEN');
    ok(await graph.gql(READ, { r: id, m: m1.id }, cat.token));

    const page = await messages(ann, id);
    expect(page.edges.map((e) => e.node.readBy)).toEqual([2, 1, 0]);
    expect((await room(cat, id)).unreadCount).toBe(2);
    await until(async () => {
      expect(dataOf(roomLive.heard, 'RoomRead')).toEqual([
        expect.objectContaining({ roomId: id, reader: { __typename: 'User', id: ben.id }, messageId: m2.id }),
        expect.objectContaining({ roomId: id, reader: { __typename: 'User', id: cat.id }, messageId: m1.id }),
      ]);
      expect(dataOf(benLive.heard, 'ChatActivity')).toEqual([
        { __typename: 'ChatActivity', roomId: id, unreadCount: 1, message: null },
      ]);
    });
    expect(m3.readBy).toBe(0);
    await Promise.all([roomLive.stop(), benLive.stop()]);
  });

  it('says who is typing at most once in three seconds per person and room', async () => {
    const [ann, outsider] = [await student('ann'), await student('outsider')];
    const id = await sectionRoom(ann);
    const live = await listen(roomChannel(id));
    const TYPING = 'mutation($r: ID!) { typing(roomId: $r) }';
    expect(ok(await graph.gql<{ typing: boolean }>(TYPING, { r: id }, ann.token)).typing).toBe(true);
    expect(ok(await graph.gql<{ typing: boolean }>(TYPING, { r: id }, ann.token)).typing).toBe(false);
    expect(codeOf(await graph.gql(TYPING, { r: id }, outsider.token))).toBe('FORBIDDEN');
    await until(async () =>
      expect(dataOf(live.heard, 'Typing')).toEqual([
        {
          __typename: 'Typing',
          roomId: id,
          user: { __typename: 'User', id: ann.id },
          until: expect.stringMatching(/Z$/),
        },
      ]),
    );
    await live.stop();
  });
});

describe('direct rooms', () => {
  const OPEN =
    'mutation($u: ID!) { openDirectRoom(userId: $u) { id kind memberCount otherUser { id nickname } } }';
  type Opened = {
    openDirectRoom: {
      id: string;
      kind: string;
      memberCount: number;
      otherUser: { id: string; nickname: string };
    };
  };

  it('are one per pair, and refused while either blocks the other', async () => {
    const [ann, ben] = [await graph.person('ann'), await graph.person('ben')];
    const opened = ok(await graph.gql<Opened>(OPEN, { u: ben.id }, ann.token)).openDirectRoom;
    expect(opened).toMatchObject({
      kind: 'DIRECT',
      memberCount: 2,
      otherUser: { id: ben.id, nickname: ben.nickname },
    });
    expect(ok(await graph.gql<Opened>(OPEN, { u: ben.id }, ann.token)).openDirectRoom.id).toBe(opened.id);
    const theirs = ok(await graph.gql<Opened>(OPEN, { u: ann.id }, ben.token)).openDirectRoom;
    expect(theirs).toMatchObject({ id: opened.id, otherUser: { id: ann.id } });
    expect(codeOf(await graph.gql(OPEN, { u: ann.id }, ann.token))).toBe('BAD_USER_INPUT');
    const hi = await send(ann, opened.id, 'hi ben');

    ok(await graph.gql('mutation($u: ID!) { block(userId: $u) { id } }', { u: ann.id }, ben.token));
    await graph.settled();
    expect(codeOf(await graph.gql(OPEN, { u: ben.id }, ann.token))).toBe('FORBIDDEN');
    expect(codeOf(await trySend(ann, opened.id, 'hello?'))).toBe('FORBIDDEN');
    expect(codeOf(await trySend(ben, opened.id, 'go away'))).toBe('FORBIDDEN');
    // Nor can an old message be rewritten while blocked.
    expect(
      codeOf(
        await graph.gql(
          'mutation($id: ID!) { editMessage(messageId: $id, body: "hi ben!!") { id } }',
          { id: hi.id },
          ann.token,
        ),
      ),
    ).toBe('FORBIDDEN');

    ok(await graph.gql('mutation($u: ID!) { unblock(userId: $u) { id } }', { u: ann.id }, ben.token));
    await graph.settled();
    expect(ok(await graph.gql<Opened>(OPEN, { u: ben.id }, ann.token)).openDirectRoom.id).toBe(opened.id);
    expect((await send(ann, opened.id, 'friends again')).body).toBe('friends again');
  });

  it('are limited in number per person and hour (each lands in someone else’s list)', async () => {
    const spammer = await graph.person('spammer');
    for (let i = 0; i < 30; i++) ok(await graph.gql(OPEN, { u: randomUUID() }, spammer.token));
    expect(codeOf(await graph.gql(OPEN, { u: randomUUID() }, spammer.token))).toBe('RATE_LIMITED');
  });
});

describe('attachments', () => {
  it('takes my own CHAT uploads, each once, and lets them go with the message', async () => {
    const [ann, ben] = [await student('ann'), await student('ben')];
    const id = await sectionRoom(ann, ben);
    const mine = await graph.upload(ann.token, jpeg, { purpose: 'CHAT' });
    const second = await graph.upload(ann.token, jpeg, { purpose: 'CHAT' });
    const forReview = await graph.upload(ann.token, jpeg, { purpose: 'REVIEW' });
    const bens = await graph.upload(ben.token, jpeg, { purpose: 'CHAT' });
    await graph.settled();

    const stored = () => chatDb().getRepository(ChatMessageEntity).countBy({ roomId: id });
    for (const [att, why] of [
      [bens, /not your upload/],
      [forReview, /uploaded for REVIEW/],
      [randomUUID(), /not your upload/],
    ] as const) {
      const res = await trySend(ann, id, 'look', undefined, [att]);
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.message).toContain(att);
      expect(res.errors![0]!.message).toMatch(why);
      expect(res.errors![0]!.extensions!.field).toBe('attachmentIds');
    }
    expect(await stored()).toBe(0);

    // Attachments alone make a message.
    const sent = await send(ann, id, null, 'photo-1', [mine, second]);
    expect(sent).toMatchObject({ body: null, attachments: [{ id: mine }, { id: second }] });
    const reused = await trySend(ann, id, 'again', undefined, [mine]);
    expect(codeOf(reused)).toBe('BAD_USER_INPUT');
    expect(reused.errors![0]!.message).toContain(mine);
    await graph.settled();
    const mediaRows = graph.service('media').deps.db.dataSource.getRepository(MediaEntity);
    expect((await mediaRows.findOneByOrFail({ id: mine })).attachedTo).toBe(`chat-message:${sent.id}`);
    // Media resolves them for readers.
    const page = ok(
      await graph.gql<{ chatRoom: { lastMessage: { attachments: Array<{ id: string; purpose: string }> } } }>(
        'query($id: ID!) { chatRoom(id: $id) { lastMessage { attachments { id purpose } } } }',
        { id },
        ben.token,
      ),
    );
    expect(page.chatRoom.lastMessage.attachments).toEqual([
      { id: mine, purpose: 'CHAT' },
      { id: second, purpose: 'CHAT' },
    ]);

    ok(
      await graph.gql(
        'mutation($id: ID!) { deleteMessage(messageId: $id) { id } }',
        { id: sent.id },
        ann.token,
      ),
    );
    await graph.settled();
    expect(bodies(await messages(ben, id))).toEqual([null]);
    expect((await messages(ben, id)).edges[0]!.node).toMatchObject({ deleted: true });
    const detached = await chatDb()
      .getRepository(OutboxEvent)
      .findBy({ topic: 'media.detached', payload: Like(`%${sent.id}%`) });
    expect(detached.map((e) => JSON.parse(e.payload))).toEqual([
      { mediaIds: [mine, second], subject: `chat-message:${sent.id}` },
    ]);
  });
});

describe('batching', () => {
  const statements = async (query: string, variables: Record<string, unknown>, who: Account) => {
    const before = chat().deps.db.queryCount();
    ok(await graph.gql(query, variables, who.token));
    return chat().deps.db.queryCount() - before;
  };

  it('loads a page of rooms with their last messages and pages in a fixed number of statements', async () => {
    const ann = await graph.person('ann');
    for (let i = 0; i < 30; i++) {
      const opened = ok(
        await graph.gql<{ openDirectRoom: { id: string } }>(
          'mutation($u: ID!) { openDirectRoom(userId: $u) { id } }',
          { u: randomUUID() },
          ann.token,
        ),
      ).openDirectRoom;
      await send(ann, opened.id, `hello ${i}`);
    }
    await graph.settled();
    const ROOMS = `query($n: Int) { me { chatRooms(first: $n) { edges { node {
      id kind memberCount unreadCount muted isMember lastActivityAt section { id } otherUser { id }
      lastMessage { id body readBy deleted sender { id } attachments { id } }
      messages(last: 2) { edges { node { id body readBy attachments { id } } } }
    } } pageInfo { hasNextPage endCursor } } } }`;
    const few = await statements(ROOMS, { n: 3 }, ann);
    expect(await statements(ROOMS, { n: 30 }, ann)).toBe(few);

    // Most recent activity first, paged by cursor without gaps or repeats.
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: {
        me: {
          chatRooms: {
            edges: Array<{ node: { lastMessage: { body: string } } }>;
            pageInfo: { hasNextPage: boolean; endCursor: string };
          };
        };
      } = ok(
        await graph.gql(
          'query($after: String) { me { chatRooms(first: 7, after: $after) { edges { node { lastMessage { body } } } pageInfo { hasNextPage endCursor } } } }',
          { after },
          ann.token,
        ),
      );
      seen.push(...page.me.chatRooms.edges.map((e) => e.node.lastMessage.body));
      after = page.me.chatRooms.pageInfo.hasNextPage ? page.me.chatRooms.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => `hello ${29 - i}`));
  });

  it('loads a page of messages in a fixed number of statements', async () => {
    const [ann, ben] = [await student('ann'), await student('ben')];
    const id = await sectionRoom(ann, ben);
    for (let i = 0; i < 30; i++) await send(i % 2 ? ann : ben, id, `m${i}`);
    await graph.settled();
    const PAGE = `query($id: ID!, $n: Int) { chatRoom(id: $id) { id unreadCount
      messages(last: $n) { edges { cursor node { id body readBy deleted editedAt sender { id } attachments { id } } } } } }`;
    const few = await statements(PAGE, { id, n: 3 }, ann);
    expect(await statements(PAGE, { id, n: 30 }, ann)).toBe(few);
  });
});

describe('fan-out', () => {
  const pushJobs = async (messageId: string) =>
    (
      await chatDb()
        .getRepository(OutboxEvent)
        .findBy({ topic: 'job:push:chat-message', payload: Like(`%${messageId}%`) })
    ).map((row) => JSON.parse(row.payload) as { data: Record<string, unknown>; id: string });

  it('tells listening members, pushes offline ones at most once per interval, never the muted or the sender', async () => {
    const [sender, offline, muted, online] = [
      await student('sender'),
      await student('offline'),
      await student('muted'),
      await student('online'),
    ];
    const id = await sectionRoom(sender, offline, muted, online);
    const MUTE = 'mutation($r: ID!) { mute(roomId: $r) { id muted } }';
    expect(ok(await graph.gql<{ mute: { muted: boolean } }>(MUTE, { r: id }, muted.token)).mute.muted).toBe(
      true,
    );
    expect(codeOf(await graph.gql(MUTE, { r: id }, (await student('stranger')).token))).toBe('FORBIDDEN');
    const onlineLive = await listen(userChannel(online.id));
    const senderLive = await listen(userChannel(sender.id));

    const first = await send(sender, id, `Lecture moved to room 1404 ${'!'.repeat(120)}`);
    await graph.settled();
    const jobs = await pushJobs(first.id);
    expect(jobs).toEqual([
      expect.objectContaining({
        id: `chat-push-${first.id}-0`,
        data: {
          roomId: id,
          messageId: first.id,
          senderId: sender.id,
          recipientIds: [offline.id],
          preview: `Lecture moved to room 1404 ${'!'.repeat(120)}`.slice(0, 100),
        },
      }),
    ]);
    await until(async () => {
      expect(dataOf(onlineLive.heard, 'ChatActivity')).toEqual([
        {
          __typename: 'ChatActivity',
          roomId: id,
          unreadCount: 1,
          message: expect.objectContaining({ id: first.id, sender: { __typename: 'User', id: sender.id } }),
        },
      ]);
      expect(dataOf(senderLive.heard, 'ChatActivity')).toEqual([
        expect.objectContaining({ roomId: id, unreadCount: 0 }),
      ]);
    });

    // Within the interval: no second push to the same member.
    const second = await send(sender, id, 'and bring a pencil');
    await graph.settled();
    expect(await pushJobs(second.id)).toEqual([]);
    await until(async () => expect(dataOf(onlineLive.heard, 'ChatActivity')).toHaveLength(2));
    expect(dataOf(onlineLive.heard, 'ChatActivity')[1]).toMatchObject({ unreadCount: 2 });

    // The interval passed: pushed again, unmuted too; someone who read it already is not.
    await chatDb()
      .getRepository(ChatMemberEntity)
      .update({ roomId: id }, { lastPushedAt: new Date(Date.now() - 3600_000) });
    ok(await graph.gql('mutation($r: ID!) { unmute(roomId: $r) { id } }', { r: id }, muted.token));
    const upload = await graph.upload(sender.token, jpeg, { purpose: 'CHAT' });
    await graph.settled();
    const third = await send(sender, id, null, undefined, [upload]);
    await graph.settled();
    expect((await pushJobs(third.id)).map((j) => j.data)).toEqual([
      expect.objectContaining({ recipientIds: [offline.id, muted.id].sort(), preview: null }),
    ]);
    // A rerun of the fan-out pushes nobody twice.
    await fanOut(chat().deps, third.id);
    expect(await pushJobs(third.id)).toHaveLength(1);
    await Promise.all([onlineLive.stop(), senderLive.stop()]);
  });
});

describe('live fields', () => {
  it('open a room to its members only, with the messages missed since `after`', async () => {
    const [ann, ben, outsider] = [await student('ann'), await student('ben'), await student('outsider')];
    const id = await sectionRoom(ann, ben);
    const other = await sectionRoom(ann);
    const [m1, , m3] = [await send(ann, id, 'one'), await send(ben, id, 'two'), await send(ann, id, 'three')];
    const elsewhere = await send(ann, other, 'elsewhere');
    ok(
      await graph.gql(
        'mutation($id: ID!) { deleteMessage(messageId: $id) { id } }',
        { id: m3.id },
        ann.token,
      ),
    );
    const deps = chat().deps;

    expect(await codeOfError(openRoomEvents(deps, { roomId: id }, contextOf(null)))).toBe('UNAUTHENTICATED');
    expect(await codeOfError(openRoomEvents(deps, { roomId: id }, contextOf(outsider.id)))).toBe('FORBIDDEN');
    expect(await codeOfError(openRoomEvents(deps, { roomId: randomUUID() }, contextOf(ann.id)))).toBe(
      'NOT_FOUND',
    );
    expect(
      await codeOfError(openRoomEvents(deps, { roomId: id, after: elsewhere.id }, contextOf(ann.id))),
    ).toBe('BAD_USER_INPUT');
    // Three messages so far: the head is the room's last seq.
    expect(await openRoomEvents(deps, { roomId: id }, contextOf(ben.id))).toEqual({
      channel: roomChannel(id),
      head: 3,
    });
    // A gateway that was not listening yet asks again for what follows the head it was given.
    const since = await openRoomEvents(deps, { roomId: id }, contextOf(ben.id), { sinceSeq: 1 });
    expect(since.backlog!.map((e) => e.seq)).toEqual([2, 3]);
    expect(since.head).toBe(3);

    const opening = await openRoomEvents(deps, { roomId: id, after: m1.id }, contextOf(ben.id));
    expect(opening.channel).toBe(roomChannel(id));
    expect(opening.backlog!.map((e) => e.seq)).toEqual([2, 3]);
    // Every field of ChatMessage, as the query gives them.
    const queried = ok(
      await graph.gql<{ chatRoom: { messages: { edges: Array<{ node: Record<string, unknown> }> } } }>(
        `query($id: ID!) { chatRoom(id: $id) { messages(first: 10) { edges { node {
          __typename id roomId sender { __typename id } body attachments { __typename id } clientMessageId
          createdAt editedAt deleted readBy } } } } }`,
        { id },
        ben.token,
      ),
    ).chatRoom.messages.edges.map((e) => e.node);
    expect(opening.backlog!.map((e) => e.data)).toEqual(
      queried.slice(1).map((message) => ({ __typename: 'MessageAdded', message })),
    );
    expect(await openMyChatEvents(deps, {}, contextOf(ann.id))).toEqual({ channel: userChannel(ann.id) });
    expect(await codeOfError(openMyChatEvents(deps, {}, contextOf(null)))).toBe('UNAUTHENTICATED');
  });
});
