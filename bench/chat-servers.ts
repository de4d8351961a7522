/**
 * The chat bench's servers process: a whole graph (`startGraph()` on the servers backend: fresh
 * MariaDB databases, a fresh Redis prefix), the bench's users signed up through its gateway, and
 * their rooms in chat's database. Prints one `BENCH {json}` line (URLs, Redis prefix, chat's
 * database URL, users with tokens, rooms), then waits for SIGTERM and removes everything.
 *
 *   npx tsx bench/chat-servers.ts <users> <rooms>
 *
 * Users: the first few sign up through the gateway (a real account, its password hashed); the
 * others are written to social's database like them (same password hash; argon2 for a hundred
 * sign-ups takes over a minute on 2 cores) with access tokens signed as social signs them.
 *
 * Rooms: `<rooms>` section rooms plus one big room, every user a member of all of them. The first
 * member joins through chat's own `joinSectionRoom` (the room is made as a timetable event would
 * make it); the others are bulk-inserted with SQL and member_count fixed, instead of one
 * transaction per membership.
 */
import { randomUUID } from 'node:crypto';
import { SERVICES } from '@moim/events';
import { newId, signAccessToken } from '@moim/kit';
import { TEST_JWT_SECRET } from '@moim/kit/testing';
import type { Account } from '@moim/testing';
import { announce, startServersGraph } from './processes';
import type { ChatDeps } from '@moim/chat';
import { UserEntity } from '@moim/social';
import { joinSectionRoom } from '@moim/chat';
import { emailKey, nicknameKey } from '../services/social/src/domain/validation';

const SIGNED_UP = 4;

const users = Number(process.argv[2] ?? 100);
const roomCount = Number(process.argv[3] ?? 100);
if (!(users >= 1) || !(roomCount >= 1)) throw new Error('usage: chat-servers.ts <users> <rooms>');

const graph = await startServersGraph();

await announce(graph, async () => {
  const accounts: Array<Pick<Account, 'id' | 'token' | 'nickname'>> = await Promise.all(
    Array.from({ length: Math.min(SIGNED_UP, users) }, () => graph.person('bencher')),
  );
  const socialUsers = graph.service('social').deps.db.dataSource.getRepository(UserEntity);
  const model = await socialUsers.findOneByOrFail({ id: accounts[0]!.id });
  for (let i = accounts.length + 1; i <= users; i++) {
    const nickname = `bencher${i}`;
    const email = `bencher${i}-${randomUUID().slice(0, 8)}@example.com`;
    const now = new Date();
    const id = newId();
    await socialUsers.insert({
      ...model,
      id,
      email,
      emailKey: emailKey(email),
      nickname,
      nicknameKey: nicknameKey(nickname),
      createdAt: now,
      updatedAt: now,
    });
    const token = await signAccessToken(
      { userId: id, role: 'USER', sessionId: randomUUID() },
      TEST_JWT_SECRET,
      3600,
    );
    accounts.push({ id, token, nickname });
  }

  const chat = graph.service<ChatDeps>('chat').deps;
  const db = chat.db.dataSource;
  const rooms: string[] = [];
  for (let r = 0; r <= roomCount; r++) {
    const sectionId = newId();
    await chat.db.transaction((manager) =>
      joinSectionRoom(manager, { userId: accounts[0]!.id, sectionId, termId: 'bench' }, { sequence: 1 }),
    );
    const [row] = (await db.query('SELECT id FROM chat_rooms WHERE section_id = ?', [sectionId])) as Array<{
      id: string;
    }>;
    rooms.push(row!.id);
  }
  const now = new Date();
  for (const room of rooms) {
    const rest = accounts.slice(1);
    if (!rest.length) continue;
    await db.query(
      `INSERT INTO chat_members (room_id, user_id, joined_at, last_read_seq, muted, last_pushed_at) VALUES ${rest
        .map(() => '(?, ?, ?, 0, 0, NULL)')
        .join(', ')}`,
      rest.flatMap((a) => [room, a.id, now]),
    );
  }
  await db.query(
    'UPDATE chat_rooms r SET member_count = (SELECT COUNT(*) FROM chat_members m WHERE m.room_id = r.id)',
  );

  const subgraphs = Object.fromEntries(SERVICES.map((s) => [s.name, graph.subgraphUrl(s.name)]));
  return {
    gatewayUrl: graph.url,
    subgraphs,
    redisUrl: graph.backend.env.REDIS_URL,
    redisPrefix: graph.backend.env.REDIS_PREFIX,
    chatDatabaseUrl: chat.config.DATABASE_URL,
    users: accounts.map((a) => ({ id: a.id, token: a.token, nickname: a.nickname })),
    rooms: rooms.slice(0, roomCount),
    bigRoom: rooms[roomCount],
  };
});
