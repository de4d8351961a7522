import type { EntityManager, EntitySchema } from 'typeorm';
import type { EventPayloads, LikeChange, SearchableChange } from '@moim/events';
import { applyIfNewer, type EventHandlers } from '@moim/kit';
import {
  SearchBlockEntity,
  SearchDocumentEntity,
  SearchLikeEntity,
  type SearchBlockRow,
  type SearchDocumentRow,
  type SearchLikeRow,
} from './entities';
import { keyOf, logChanges } from './domain/store';

/** The longest title and body indexed: enough to find a thing, bounded for the index's memory. */
export const MAX_TITLE = 300;
export const MAX_BODY = 2000;

/**
 * Applies each change unless a newer one of the same document was applied already (the owner's
 * outbox sequence orders them), so retries and reordering cannot bring back an older state.
 */
async function applyChanges(
  manager: EntityManager,
  changes: SearchableChange[],
  sequence: number,
): Promise<void> {
  const now = new Date();
  const changed: string[] = [];
  for (const { kind, id, document: d } of changes) {
    const docKey = keyOf(kind, id);
    const state = d
      ? {
          title: d.title.slice(0, MAX_TITLE),
          body: d.body.slice(0, MAX_BODY),
          authorId: d.authorId,
          popularity: d.popularity,
          createdAt: new Date(d.createdAt),
          findable: true,
        }
      : { findable: false };
    const applied = await applyIfNewer(
      manager,
      SearchDocumentEntity as EntitySchema<SearchDocumentRow>,
      { doc_key: docKey },
      { ...state, touchedAt: now },
      {
        docKey,
        kind,
        id,
        title: '',
        body: '',
        authorId: null,
        popularity: 0,
        createdAt: now,
        ...state,
        touchedAt: now,
      },
      sequence,
    );
    if (applied) changed.push(docKey);
  }
  await logChanges(manager, changed);
}

async function applyLike(
  manager: EntityManager,
  p: LikeChange,
  active: boolean,
  sequence: number,
): Promise<void> {
  const docKey = keyOf(p.targetKind, p.targetId);
  const applied = await applyIfNewer(
    manager,
    SearchLikeEntity as EntitySchema<SearchLikeRow>,
    { doc_key: docKey, user_id: p.userId },
    { active },
    { docKey, userId: p.userId, active },
    sequence,
  );
  if (applied) await logChanges(manager, [docKey], false);
}

async function applyBlock(
  manager: EntityManager,
  p: EventPayloads['block.created'],
  active: boolean,
  sequence: number,
): Promise<void> {
  await applyIfNewer(
    manager,
    SearchBlockEntity as EntitySchema<SearchBlockRow>,
    { blocker_id: p.blockerId, blocked_id: p.blockedId },
    { active },
    { blockerId: p.blockerId, blockedId: p.blockedId, active },
    sequence,
  );
}

export const searchEventHandlers: EventHandlers = {
  'searchable.changed': (p, manager, event) => applyChanges(manager, p.changes, event.sequence),
  'like.created': (p, manager, event) => applyLike(manager, p, true, event.sequence),
  'like.deleted': (p, manager, event) => applyLike(manager, p, false, event.sequence),
  'block.created': (p, manager, event) => applyBlock(manager, p, true, event.sequence),
  'block.deleted': (p, manager, event) => applyBlock(manager, p, false, event.sequence),
};
