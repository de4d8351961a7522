import type { EntityManager, EntitySchema } from 'typeorm';
import type { EventPayloads } from '@moim/events';
import { applyIfNewer, type EventHandlers } from '@moim/kit';
import { mediaRefHandlers } from '@moim/media-refs';
import { joinSectionRoom, leaveSectionRoom } from './domain/rooms';
import { ChatBlockEntity, type ChatBlock } from './entities';

/**
 * Applies a block change unless a newer one for the same pair was applied already, so the edge
 * ends up as the latest event says whatever order retries deliver them in (as review does).
 */
async function applyBlock(
  manager: EntityManager,
  p: EventPayloads['block.created'],
  active: boolean,
  sequence: number,
): Promise<void> {
  const pair = { blockerId: p.blockerId, blockedId: p.blockedId };
  await applyIfNewer(
    manager,
    ChatBlockEntity as EntitySchema<ChatBlock>,
    { blocker_id: p.blockerId, blocked_id: p.blockedId },
    { active },
    { ...pair, active },
    sequence,
  );
}

export const chatEventHandlers: EventHandlers = {
  'timetable.section.added': (p, manager, event) => joinSectionRoom(manager, p, event),
  'timetable.section.removed': (p, manager, event) => leaveSectionRoom(manager, p, event),
  'block.created': (p, manager, event) => applyBlock(manager, p, true, event.sequence),
  'block.deleted': (p, manager, event) => applyBlock(manager, p, false, event.sequence),
  // Who uploaded what (docs/decisions/0009): attaching to a message checks this replica.
  ...mediaRefHandlers,
};
