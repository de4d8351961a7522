import type { Seeder } from '@moim/demo';
import type { ChatDeps } from './domain/context';
import { directKeyOf } from './domain/access';
import { sendMessage } from './domain/messages';
import { openDirectRoom } from './domain/rooms';
import { ChatRoomEntity } from './entities';

/** What the demo user and the first reviewer they follow said to each other. */
const DEMO_CONVERSATION: Array<{ from: 'demo' | 'friend'; body: string }> = [
  { from: 'friend', body: 'Are you taking CS 225 this summer too?' },
  { from: 'demo', body: 'Yes, and CS 374. The section rooms are already busy.' },
  { from: 'friend', body: 'See you in the lecture then!' },
];

/**
 * The demo user's section rooms come from the catalog's seed (their timetable events); here, a
 * direct room between the demo user and the first person they follow, with a short conversation.
 * Skipped when that room exists. What it makes is logged, not counted in the seed's summary
 * (whose totals the seed test and `npm start`'s log keep as they were).
 */
export const seed: Seeder<ChatDeps> = async (deps, demo) => {
  const demoUser = demo.ids.get('demo');
  const friendKey = demo.follows.find((f) => f.followerKey === 'demo')?.followeeKey;
  const friend = friendKey && demo.ids.get(friendKey);
  if (!demoUser || !friend) return null;
  const rooms = deps.db.dataSource.getRepository(ChatRoomEntity);
  if (await rooms.existsBy({ directKey: directKeyOf(demoUser, friend) })) return null;
  const room = await openDirectRoom(deps, demoUser, friend);
  for (const [i, line] of DEMO_CONVERSATION.entries())
    await sendMessage(deps, line.from === 'demo' ? demoUser : friend, {
      roomId: room.id,
      body: line.body,
      clientMessageId: `demo-${i + 1}`,
    });
  deps.logger.info({ room: room.id, messages: DEMO_CONVERSATION.length }, 'demo chat loaded');
  return null;
};
