/**
 * Chat benchmark: N real graphql-ws subscribers of `roomEvents` through the gateway, in 100 rooms
 * and in one room, against a plain `ws` broadcast of the same frames to the same client (the
 * floor). Servers run in processes of their own (graph, chat API alone, gateway alone, floor);
 * this process is the client: every socket, and the sender. See bench/README.md.
 *
 *   npm run bench -- chat [--subscribers 1000,5000,10000] [--seconds 10] [--warmup 2]
 *     [--users 100] [--rooms 100] [--deliveries 60000] [--room-deliveries 20000] [--load 0.7] [--max-rate N]
 *     [--max-in-flight 64] [--layouts rooms,room] [--profile]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import WebSocket from 'ws';
import { messageRepr, roomChannel } from '@moim/chat';
import { envStem, type ServiceName } from '@moim/events';
import { createLogger, openPubSub, publishLive, type PubSub } from '@moim/kit';
import { closedPort, startProcess, TEST_JWT_SECRET, TEST_SECRET, type TestProcess } from '@moim/kit/testing';
import { summariseProfile } from './chat-profile';
import { cpuMs, rssMb, startNode, stopProcess, waitHealthy } from './processes';
import { percentile } from './stats';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000,5000,10000' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    users: { type: 'string', default: '100' },
    rooms: { type: 'string', default: '100' },
    /** Deliveries per second the sender aims at in 100 rooms (messages/s = this ÷ subscribers per room). */
    deliveries: { type: 'string', default: '60000' },
    /**
     * The same in one room. 60,000/s is more than even the plain ws floor writes on 2 shared cores
     * (~50,000/s, one writev per frame, with the client reading them): its latency would be queueing.
     */
    'room-deliveries': { type: 'string', default: '20000' },
    /** The share of sendMessage's measured capacity the scenarios send at (loaded, not collapsing). */
    load: { type: 'string', default: '0.7' },
    /** A cap on messages per second in every scenario (none by default). */
    'max-rate': { type: 'string', default: '100000' },
    /** Most sends waiting for their answer; beyond it the sender skips its turn (counted). */
    'max-in-flight': { type: 'string', default: '64' },
    layouts: { type: 'string', default: 'rooms,room' },
    profile: { type: 'boolean', default: false },
  },
});
const LEVELS = values.subscribers
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const USERS = Number(values.users);
const ROOMS = Number(values.rooms);
const DELIVERIES = Number(values.deliveries);
const ROOM_DELIVERIES = Number(values['room-deliveries']);
const MAX_RATE = Number(values['max-rate']);
const LOAD = Number(values.load);
const MAX_IN_FLIGHT = Number(values['max-in-flight']);
const LAYOUTS = values.layouts.split(',');
if (
  !LEVELS.every((n) => Number.isInteger(n) && n > 0) ||
  !(SECONDS > 0) ||
  !(WARMUP >= 0) ||
  !(USERS > 0) ||
  !(ROOMS > 0) ||
  !(DELIVERIES > 0) ||
  !(ROOM_DELIVERIES > 0) ||
  !(MAX_RATE > 0) ||
  !(LOAD > 0) ||
  !(MAX_IN_FLIGHT > 0) ||
  !LAYOUTS.every((l) => l === 'rooms' || l === 'room')
)
  throw new Error(
    'usage: npm run bench -- chat [--subscribers 1000,5000,10000] [--seconds 10] [--warmup 2] ' +
      '[--users 100] [--rooms 100] [--deliveries 60000] [--room-deliveries 20000] [--load 0.7] [--max-rate N] [--max-in-flight 64] ' +
      '[--layouts rooms,room] [--profile]',
  );
const OPEN_CONCURRENCY = 200;
const CALIBRATE_IN_FLIGHT = 16;
/** The fan-out-only row at the goal rate publishes at most this many events per second. */
const MAX_PUBLISH_RATE = 2000;
/** Bench limits of the gateway (defaults 8 and 50): ~100 sockets per user here. */
const WS_CONNECTIONS_PER_USER = 100_000;
const WS_SUBSCRIPTIONS_PER_CONNECTION = 50;

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// ---------------------------------------------------------------- processes

function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s{2,}/)[1] ?? NaN);
}

interface Setup {
  gatewayUrl: string;
  subgraphs: Record<ServiceName, string>;
  redisUrl: string;
  redisPrefix: string;
  chatDatabaseUrl: string;
  users: Array<{ id: string; token: string; nickname: string }>;
  rooms: string[];
  bigRoom: string;
}

const common = (setup: Setup) => ({
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  INTERNAL_SECRET: TEST_SECRET,
  JWT_SECRET: TEST_JWT_SECRET,
  MOIM_BACKEND: 'servers',
  REDIS_URL: setup.redisUrl,
  REDIS_PREFIX: setup.redisPrefix,
  HOST: '127.0.0.1',
});

/** The chat API alone (its own process, so its memory is its own), and the gateway in front. */
const children: TestProcess[] = [];

async function startChatAndGateway(setup: Setup, profileDir: string | null) {
  const chatPort = await closedPort();
  const chat = startProcess(here('../services/chat/src/main.ts'), {
    ...common(setup),
    DATABASE_URL: setup.chatDatabaseUrl,
    MIGRATE_ON_START: 'false',
    PORT: String(chatPort),
  });
  let gateway: TestProcess | undefined;
  try {
    await waitHealthy(`http://127.0.0.1:${chatPort}/health/live`, chat);
    const gatewayPort = await closedPort();
    gateway = startNode(
      here('../gateway/src/main.ts'),
      {
        ...common(setup),
        PORT: String(gatewayPort),
        METRICS_PORT: '0',
        TRUSTED_PROXY_HOPS: '1',
        WS_CONNECTIONS_PER_USER: String(WS_CONNECTIONS_PER_USER),
        WS_SUBSCRIPTIONS_PER_CONNECTION: String(WS_SUBSCRIPTIONS_PER_CONNECTION),
        ...Object.fromEntries(
          Object.entries(setup.subgraphs).map(([name, url]) => [
            `SUBGRAPH_${envStem(name as ServiceName)}_URL`,
            name === 'chat' ? `http://127.0.0.1:${chatPort}/graphql` : url,
          ]),
        ),
      },
      profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
    );
    children.push(chat, gateway);
    await waitHealthy(`http://127.0.0.1:${gatewayPort}/health/live`, gateway);
    return { chat, gateway, url: `http://127.0.0.1:${gatewayPort}/graphql` };
  } catch (err) {
    await stopProcess(gateway);
    await stopProcess(chat);
    throw err;
  }
}

// ---------------------------------------------------------------- the client

const ROOM_EVENTS = `subscription($room: ID!) { roomEvents(roomId: $room) {
  ... on MessageAdded { message { id body sender { nickname } } } } }`;
const SEND = `mutation($room: ID!, $body: String, $cid: String!) {
  sendMessage(roomId: $room, body: $body, clientMessageId: $cid) { id } }`;
const FRAME_HEAD = '{"id":"1","type":"next","payload":';
const BODY_MARK = '"body":"m:';

interface Message {
  sentAt: number;
  expected: number;
  received: number;
  lastAt: number;
  nickMark: string;
  failed: boolean;
  /** When the send was answered (the mutation's response). */
  answeredAt: number;
  /** Called once every subscriber of the room has it. */
  onComplete?: () => void;
}
interface Sub {
  socket: WebSocket;
  room: string;
  ready: boolean;
  ended: string | null;
}

const messages: Message[] = [];
let frames = 0;
let badFrames = 0;
let firstBad: string | null = null;
let template: string | null = null; // a real gateway payload, for the floor's frames

function onFrame(sub: Sub, text: string): void {
  const now = performance.now();
  const at = text.indexOf(BODY_MARK);
  if (at < 0 || !text.startsWith(FRAME_HEAD)) {
    // An error, a complete: the subscription ended.
    sub.ended ??= text.slice(0, 300);
    return;
  }
  frames++;
  sub.ready = true;
  const k = Number(text.slice(at + BODY_MARK.length, text.indexOf('"', at + BODY_MARK.length)));
  const m = messages[k];
  if (!m) return;
  if (!text.includes(m.nickMark)) {
    badFrames++;
    firstBad ??= text.slice(0, 300);
  }
  m.received++;
  m.lastAt = now;
  if (m.received === m.expected) m.onComplete?.();
  template ??= text.slice(FRAME_HEAD.length, -1);
}

function openGatewaySub(url: string, token: string, room: string): Promise<Sub> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws', {
      perMessageDeflate: false,
    });
    const sub: Sub = { socket, room, ready: false, ended: null };
    let acked = false;
    socket.on('open', () =>
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })),
    );
    socket.on('message', (data) => {
      const text = (data as Buffer).toString();
      if (acked) return onFrame(sub, text);
      if (!text.includes('"connection_ack"')) return reject(new Error(`no connection_ack: ${text}`));
      acked = true;
      socket.send(
        JSON.stringify({ id: '1', type: 'subscribe', payload: { query: ROOM_EVENTS, variables: { room } } }),
      );
      resolve(sub);
    });
    socket.on('close', (code, reason) => {
      sub.ended ??= `closed ${code} ${String(reason)}`;
      if (!acked) reject(new Error(`closed before connection_ack: ${code} ${String(reason)}`));
    });
    socket.on('error', (err) => {
      sub.ended ??= err.message;
      reject(err);
    });
  });
}

function openFloorSub(port: number, room: string): Promise<Sub> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/?room=${room}`, { perMessageDeflate: false });
    const sub: Sub = { socket, room, ready: true, ended: null };
    socket.on('open', () => resolve(sub));
    socket.on('message', (data) => onFrame(sub, (data as Buffer).toString()));
    socket.on('close', (code) => (sub.ended ??= `closed ${code}`));
    socket.on('error', (err) => {
      sub.ended ??= err.message;
      reject(err);
    });
  });
}

async function inParallel<T>(
  count: number,
  concurrency: number,
  fn: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

async function closeAll(subs: Sub[]): Promise<void> {
  for (const s of subs) s.socket.terminate();
  await sleep(500);
}

// ---------------------------------------------------------------- sending and measuring

type Sender = (k: number, room: string, user: Setup['users'][number]) => Promise<string | null>;

function gatewaySender(pool: Pool): Sender {
  return async (k, room, user) => {
    const res = await pool.request({
      path: '/graphql',
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${user.token}`,
        'x-forwarded-for': '10.9.8.7',
      },
      body: JSON.stringify({ query: SEND, variables: { room, body: `m:${k}`, cid: randomUUID() } }),
    });
    const json = (await res.body.json()) as { errors?: unknown[] };
    return res.statusCode === 200 && !json.errors ? null : `HTTP ${res.statusCode} ${JSON.stringify(json)}`;
  };
}

function floorSender(pool: Pool): Sender {
  if (!template) throw new Error('no gateway frame seen: nothing to build the floor frames from');
  const shape = JSON.parse(template) as {
    data: { roomEvents: { message: { id: string; body: string; sender: { nickname: string } } } };
  };
  return async (k, room, user) => {
    const message = shape.data.roomEvents.message;
    message.body = `m:${k}`;
    message.sender.nickname = user.nickname;
    message.id = randomUUID();
    const res = await pool.request({
      path: '/send',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room, json: JSON.stringify(shape) }),
    });
    await res.body.dump();
    return res.statusCode === 204 ? null : `HTTP ${res.statusCode}`;
  };
}

/**
 * The gateway's fan-out alone: the event chat would publish after its commit (`messageRepr`, on
 * the room's channel, through the kit's Redis pub/sub), with no mutation, transaction or chat.
 */
function publishSender(pubsub: PubSub): Sender {
  return async (k, room, user) => {
    const now = new Date();
    const message = messageRepr(
      {
        id: randomUUID(),
        roomId: room,
        seq: 0,
        senderId: user.id,
        body: `m:${k}`,
        clientMessageId: randomUUID(),
        createdAt: now,
        editedAt: null,
        deletedAt: null,
      },
      [],
      0,
    );
    await publishLive(pubsub, roomChannel(room), { data: { __typename: 'MessageAdded', message } });
    return null;
  };
}

/**
 * Publishes like publishSender, but answers only once every subscriber of the room has the
 * event: with a cap on sends in flight, a closed loop that measures how many events per second
 * the gateway fans out with that many outstanding.
 */
function publishAndWaitSender(pubsub: PubSub): Sender {
  const publish = publishSender(pubsub);
  return async (k, room, user) => {
    const m = messages[k]!;
    const complete = new Promise<void>((resolve) => {
      m.onComplete = resolve;
      setTimeout(resolve, 10_000).unref();
    });
    await publish(k, room, user);
    await complete;
    return null;
  };
}

/** Waits until no frame arrived for 300 ms (at most 30 s): the last row's stragglers are not the next's. */
async function quiet(): Promise<void> {
  const deadline = Date.now() + 30_000;
  let seen = -1;
  while (seen !== frames && Date.now() < deadline) {
    seen = frames;
    await sleep(300);
  }
}

interface Context {
  setup: Setup;
  rooms: string[];
  roomSize: Map<string, number>;
}

let sendErrors = 0;
let firstSendError: string | null = null;

function fire(ctx: Context, send: Sender, k: number, room: string, onDone?: () => void): void {
  const user = ctx.setup.users[k % ctx.setup.users.length]!;
  const m: Message = {
    sentAt: performance.now(),
    expected: ctx.roomSize.get(room) ?? 0,
    received: 0,
    lastAt: 0,
    nickMark: `"nickname":${JSON.stringify(user.nickname)}`,
    failed: false,
    answeredAt: 0,
  };
  messages[k] = m;
  void send(k, room, user)
    .catch((err: Error) => err.message)
    .then((err) => {
      m.answeredAt = performance.now();
      if (err) {
        m.failed = true;
        sendErrors++;
        firstSendError ??= err;
      }
      onDone?.();
    });
}

/** Sends probe messages to rooms with subscribers not live yet, until every one heard something. */
async function waitLive(
  ctx: Context,
  send: Sender,
  subs: Sub[],
  reopen: (i: number) => Promise<Sub>,
  timeoutMs = 120_000,
): Promise<{ refused: number; firstRefusal: string | null }> {
  const deadline = Date.now() + timeoutMs;
  let refused = 0;
  let firstRefusal: string | null = null;
  for (;;) {
    const waiting = subs.filter((s) => !s.ready && !s.ended);
    // Subscriptions the gateway ended while opening: counted, reported, subscribed again.
    const ended = [...subs.keys()].filter((i) => subs[i]!.ended);
    if (ended.length) {
      refused += ended.length;
      firstRefusal ??= subs[ended[0]!]!.ended;
      if (refused > subs.length) throw new Error(`${refused} subscriptions ended: ${firstRefusal}`);
      await inParallel(ended.length, OPEN_CONCURRENCY, async (j) => {
        subs[ended[j]!]!.socket.terminate();
        subs[ended[j]!] = await reopen(ended[j]!);
      });
      continue;
    }
    if (!waiting.length) return { refused, firstRefusal };
    if (Date.now() > deadline) throw new Error(`${waiting.length} subscribers still not live`);
    for (const room of new Set(waiting.map((s) => s.room))) fire(ctx, send, messages.length, room);
    const until = Date.now() + 2000;
    while (Date.now() < until && subs.some((s) => !s.ready && !s.ended)) await sleep(50);
  }
}

interface Window {
  sent: number;
  skipped: number;
  errors: number;
  seconds: number;
  deliveries: number;
  latencies: number[];
  /** Send start → its answer (the mutation alone, or the floor's POST). */
  answered: number[];
  lost: number;
  cpu: Record<string, number>;
}

/**
 * An open loop at `rate` messages/s, round-robin over the rooms (senders round-robin over the
 * users): `WARMUP` s discarded, then `SECONDS` s measured, then up to 5 s for the last ones.
 */
async function load(
  ctx: Context,
  send: Sender,
  rate: number,
  pids: Record<string, number | undefined>,
  maxInFlight = MAX_IN_FLIGHT,
  measureSeconds = SECONDS,
) {
  let inFlight = 0;
  let scheduled = 0;
  let skipped = 0;
  const start = performance.now();
  const measureFrom = start + WARMUP * 1000;
  const end = measureFrom + measureSeconds * 1000;
  let first = -1;
  let framesAtStart = 0;
  let cpuAtStart: Record<string, number> = {};
  const cpuNow = () => ({
    ...Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)])),
    client: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
  });
  const errorsBefore = sendErrors;
  for (let now = performance.now(); now < end; now = performance.now()) {
    if (first < 0 && now >= measureFrom) {
      first = messages.length;
      framesAtStart = frames;
      cpuAtStart = cpuNow();
    }
    const due = Math.floor(((now - start) * rate) / 1000);
    while (scheduled < due) {
      scheduled++;
      if (inFlight >= maxInFlight) {
        if (first >= 0) skipped++;
        continue;
      }
      inFlight++;
      const k = messages.length;
      fire(ctx, send, k, ctx.rooms[k % ctx.rooms.length]!, () => inFlight--);
    }
    await sleep(1);
  }
  const seconds = (performance.now() - measureFrom) / 1000;
  const deliveries = frames - framesAtStart;
  const cpuAtEnd = cpuNow();
  const last = messages.length;
  const measured = messages.slice(first, last);
  const complete = (m: Message) => m.failed || m.received >= m.expected;
  const drainUntil = Date.now() + 5000;
  while (Date.now() < drainUntil && !measured.every(complete)) await sleep(20);
  while (inFlight > 0 && Date.now() < drainUntil + 5000) await sleep(20);
  await quiet();
  const ok = measured.filter((m) => !m.failed);
  const latencies = ok.filter((m) => m.received >= m.expected).map((m) => m.lastAt - m.sentAt);
  const cpu = Object.fromEntries(
    Object.keys(cpuAtEnd).map((k) => [
      k,
      Math.round((100 * ((cpuAtEnd as Record<string, number>)[k]! - cpuAtStart[k]!)) / (seconds * 1000)),
    ]),
  );
  return {
    sent: measured.length,
    skipped,
    errors: sendErrors - errorsBefore,
    seconds,
    deliveries,
    latencies: latencies.sort((a, b) => a - b),
    answered: ok.map((m) => m.answeredAt - m.sentAt).sort((a, b) => a - b),
    lost: ok.length - latencies.length,
    cpu,
  } satisfies Window;
}

const ms = (v: number) => +v.toFixed(1);

// ---------------------------------------------------------------- the run

interface Row {
  scenario: string;
  path: string;
  'msg/s': number;
  sent: number;
  'p50 ms': number;
  'p95 ms': number;
  'p99 ms': number;
  'send p50/p99': string;
  'deliv/s': number;
  lost: number;
  'gw MB': number;
  'chat MB': number;
  'cpu% gw/chat/srv/cli': string;
}

const maxLevel = LEVELS.at(-1)!;
const fdNeed = maxLevel + 500;
const fdLimit = openFilesLimit();
console.log(
  `node ${process.version}, ${cpus().length} CPUs; levels ${LEVELS.join(', ')} subscribers; ` +
    `${WARMUP} s warm-up + ${SECONDS} s per row; ${USERS} users, ${ROOMS} rooms + 1; ` +
    `open files limit ${fdLimit} (this run needs ~${fdNeed} in the client); ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} at the start`,
);
if (fdLimit < fdNeed)
  console.log(
    `WARNING: the open files limit (${fdLimit}) is below what ${maxLevel} subscribers need: ` +
      `raise it with \`ulimit -n 65536\` (hard limit: /etc/security/limits.conf or the container's nofile).`,
  );
console.log(
  `gateway: NODE_ENV=production, LOG_LEVEL=warn, raised for the bench: ` +
    `WS_CONNECTIONS_PER_USER=${WS_CONNECTIONS_PER_USER} (default 8), WS_SUBSCRIPTIONS_PER_CONNECTION=` +
    `${WS_SUBSCRIPTIONS_PER_CONNECTION}; one socket and one subscription per subscriber`,
);

const profileDir = values.profile ? mkdtempSync(join(tmpdir(), 'moim-chat-prof-')) : null;
const t0 = performance.now();
const servers = startProcess(here('./chat-servers.ts'), { NODE_ENV: 'test' }, [String(USERS), String(ROOMS)]);
const floor = startProcess(here('./chat-ws-floor.ts'), { PORT: '0' });
// If this process dies unexpectedly, its servers must not outlive it (the graph drops its databases on SIGTERM).
process.on('exit', () => {
  for (const p of [servers, floor, ...children]) if (p.child.exitCode === null) p.child.kill('SIGTERM');
});
const rows: Row[] = [];
const ratios: string[] = [];
const results: Record<string, { p99: number; deliveries: number; wsP99: number }> = {};
let pubsub: PubSub | undefined;
try {
  const setup = JSON.parse((await servers.waitFor(/^BENCH (.*)$/m, 300_000))[1]!) as Setup;
  const floorPort = Number((await floor.waitFor(/^FLOOR (\d+)$/m))[1]);
  console.log(
    `setup: graph up, ${setup.users.length} users, ${setup.rooms.length + 1} rooms with every user in ` +
      `each, in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const floorPool = new Pool(`http://127.0.0.1:${floorPort}`, { connections: MAX_IN_FLIGHT });
  pubsub = openPubSub(
    { MOIM_BACKEND: 'servers', REDIS_URL: setup.redisUrl, REDIS_PREFIX: setup.redisPrefix },
    createLogger('bench', 'warn'),
  );
  const publishSend = publishSender(pubsub);

  for (const layout of LAYOUTS) {
    const rooms = layout === 'rooms' ? setup.rooms : [setup.bigRoom];
    const label = layout === 'rooms' ? `${rooms.length} rooms` : '1 room';
    // A fresh chat and gateway per layout: each layout's memory is its own.
    const { chat, gateway, url } = await startChatAndGateway(setup, profileDir);
    const gatewayPool = new Pool(new URL(url).origin, { connections: MAX_IN_FLIGHT });
    const gatewaySend = gatewaySender(gatewayPool);
    const pids = { gateway: gateway.child.pid, chat: chat.child.pid, servers: servers.child.pid };
    const subs: Sub[] = [];
    let capacity = NaN;
    try {
      for (const level of LEVELS) {
        const roomSize = new Map<string, number>();
        for (let i = 0; i < level; i++) {
          const room = rooms[i % rooms.length]!;
          roomSize.set(room, (roomSize.get(room) ?? 0) + 1);
        }
        const ctx: Context = { setup, rooms, roomSize };
        const scenario = `${label}, ${level} subs`;

        // The subscribers this level adds, through the gateway, live (each heard a probe message).
        const opened = performance.now();
        const openSub = (i: number) =>
          openGatewaySub(
            url,
            setup.users[Math.floor(i / rooms.length) % setup.users.length]!.token,
            rooms[i % rooms.length]!,
          );
        const added = await inParallel(level, OPEN_CONCURRENCY, openSub);
        subs.push(...added);
        const { refused, firstRefusal } = await waitLive(ctx, gatewaySend, subs, openSub);
        if (refused)
          console.log(
            `${scenario}: the gateway ended ${refused} subscriptions while they opened (subscribed ` +
              `again): ${firstRefusal}; gateway log: ${gateway.err().slice(-600) || gateway.out().slice(-600)}`,
          );
        const openSeconds = (performance.now() - opened) / 1000;
        await sleep(500);
        const memory = { gateway: rssMb(pids.gateway), chat: rssMb(pids.chat) };

        // What sendMessage through the gateway sustains here (closed loop, 16 in flight); the
        // scenarios then send at LOAD of it, or less if the deliveries target needs less.
        if (Number.isNaN(capacity)) {
          const c = await load(ctx, gatewaySend, 1e6, pids, CALIBRATE_IN_FLIGHT, 3);
          capacity = c.sent / c.seconds;
          console.log(
            `${label}: sendMessage through the gateway sustains ${capacity.toFixed(0)} msg/s ` +
              `(${CALIBRATE_IN_FLIGHT} in flight, p50 ${ms(percentile(c.answered, 50))} ms to the answer, ` +
              `CPU % ${JSON.stringify(c.cpu)})`,
          );
        }
        const target = layout === 'rooms' ? DELIVERIES : ROOM_DELIVERIES;
        const goal = target / (level / rooms.length);
        const rate = Math.min(goal, LOAD * capacity, MAX_RATE);

        const row = (path: string, w: Window, mem?: { gateway: number; chat: number }): Row => ({
          scenario,
          path,
          'msg/s': Math.round(w.sent / w.seconds),
          sent: w.sent,
          'p50 ms': ms(percentile(w.latencies, 50)),
          'p95 ms': ms(percentile(w.latencies, 95)),
          'p99 ms': ms(percentile(w.latencies, 99)),
          'send p50/p99': `${ms(percentile(w.answered, 50))}/${ms(percentile(w.answered, 99))}`,
          'deliv/s': Math.round(w.deliveries / w.seconds),
          lost: w.lost + w.errors,
          'gw MB': mem?.gateway ?? NaN,
          'chat MB': mem?.chat ?? NaN,
          'cpu% gw/chat/srv/cli': ['gateway', 'chat', 'servers', 'client', 'floor']
            .filter((k) => w.cpu[k] !== undefined)
            .map((k) => w.cpu[k])
            .join('/'),
        });

        const g = await load(ctx, gatewaySend, rate, pids);
        rows.push(row('sendMessage', g, memory));
        const afterLoad = { gateway: rssMb(pids.gateway), chat: rssMb(pids.chat) };
        const p = await load(ctx, publishSend, rate, pids);
        rows.push(row('publish only', p, afterLoad));
        let pg: Window | undefined;
        if (layout === 'rooms' && level === maxLevel && goal > rate * 1.1) {
          // The fan-out's own ceiling: as many events as the gateway delivers, 64 outstanding.
          pg = await load(ctx, publishAndWaitSender(pubsub), Math.min(goal, MAX_PUBLISH_RATE), pids);
          rows.push(row('publish only, max', pg, { gateway: rssMb(pids.gateway), chat: rssMb(pids.chat) }));
        }
        const dead = subs.filter((s) => s.ended);
        if (dead.length) console.log(`${scenario}: ${dead.length} subscriptions ended: ${dead[0]!.ended}`);

        // The floor: as many plain sockets in the same rooms, the same frames, the same rate. The
        // gateway's sockets close first (10k of each would pass the open files limit); the next
        // level opens its subscribers afresh.
        await closeAll(subs.splice(0));
        const floorSubs = await inParallel(level, OPEN_CONCURRENCY, (i) =>
          openFloorSub(floorPort, rooms[i % rooms.length]!),
        );
        const f = await load(ctx, floorSender(floorPool), rate, { floor: floor.child.pid });
        rows.push(row('plain ws floor', f));
        await closeAll(floorSubs);

        const [gP99, pP99, fP99] = [g, p, f].map((w) => percentile(w.latencies, 99)) as [
          number,
          number,
          number,
        ];
        console.log(
          `${scenario}: ${added.length} subscribed and live in ${openSeconds.toFixed(1)} s; ` +
            `${rate.toFixed(1)} msg/s (deliveries target ${target}/s needs ${goal.toFixed(1)}); ` +
            `sendMessage ${g.sent} sent, ${g.skipped} skipped, ${g.errors} errors, ${g.lost} incomplete; ` +
            `publish ${p.sent} sent, ${p.lost} incomplete; floor ${f.sent} sent, ${f.lost} incomplete` +
            (pg
              ? `; publish only, max: up to ${Math.min(goal, MAX_PUBLISH_RATE).toFixed(0)} msg/s with ` +
                `${MAX_IN_FLIGHT} events outstanding, ${pg.lost} incomplete`
              : ''),
        );
        ratios.push(
          `${scenario}: p99 sendMessage / floor ${(gP99 / fP99).toFixed(2)}×, publish only / floor ` +
            `${(pP99 / fP99).toFixed(2)}×`,
        );
        results[`${layout}:${level}`] = { p99: gP99, deliveries: g.deliveries / g.seconds, wsP99: fP99 };
      }
    } finally {
      await closeAll(subs);
      await gatewayPool.close();
      await stopProcess(gateway);
      await stopProcess(chat);
    }
  }
  await floorPool.close();
} finally {
  await pubsub?.close();
  await stopProcess(floor);
  await stopProcess(servers);
}

console.log(
  'path: sendMessage = the mutation through the gateway (chat, MariaDB, Redis, fan-out); publish only = ' +
    "the event chat publishes, put on Redis by this client (the gateway's fan-out alone); plain ws floor " +
    '= the same frames written by a bare ws server. Latency: send start → the last subscriber of the room ' +
    'received it; send: send start → the answer (mutation, Redis PUBLISH, floor POST); deliv/s: frames ' +
    'received per second; lost: failed sends, or messages some subscriber never got; MB: RSS (sendMessage row: after ' +
    'subscribing; publish row: after the sendMessage load); cpu%: of one core during the window; ' +
    'publish only, max: a closed loop, the next event published once an earlier one reached every ' +
    'subscriber of its room',
);
console.table(rows);
for (const line of ratios) console.log(line);
if (badFrames) console.log(`${badFrames} events without the sender's nickname, e.g. ${firstBad}`);
else console.log(`every event carried the sender's nickname (${frames} frames checked)`);
if (firstSendError) console.log(`${sendErrors} send errors, first: ${firstSendError}`);
if (profileDir) {
  // CPU.<date>.<time>.<pid>.<thread>.<n>: thread 0 is the main one (tsx's loader runs in another);
  // one gateway per layout, in order.
  const files = readdirSync(profileDir)
    .filter((f) => /\.0\.\d+\.cpuprofile$/.test(f))
    .sort();
  for (const [i, file] of files.entries()) {
    console.log(`gateway CPU profile, ${LAYOUTS[i] === 'room' ? 'one room' : `${ROOMS} rooms`}:`);
    for (const line of summariseProfile(join(profileDir, file))) console.log(line);
  }
}

const rooms100 = results[`rooms:${maxLevel}`];
const room1 = results[`room:${maxLevel}`];
console.log(
  `RESULT rooms100_p99_ms=${rooms100 ? ms(rooms100.p99) : 'NaN'} rooms100_deliveries_per_s=${
    rooms100 ? Math.round(rooms100.deliveries) : 'NaN'
  } room1_p99_vs_ws=${room1 ? (room1.p99 / room1.wsP99).toFixed(2) : 'NaN'}`,
);
