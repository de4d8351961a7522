import { In, type EntityManager, type EntitySchema } from 'typeorm';
import type { MediaPurpose } from '@moim/events';
import {
  applyIfNewer,
  badInput,
  dialectOf,
  isUniqueViolation,
  parseId,
  recordEvent,
  type EventHandlers,
} from '@moim/kit';
import { MediaRefEntity, type MediaRef, type MediaRefState } from './media-ref.entity';

/** The most images one review or post carries. */
export const MAX_IMAGES = 10;

/**
 * Uploads older than this are refused: media's cleanup removes unattached uploads a day old,
 * and an attachment must reach media (media.attached) before that (docs/decisions/0009).
 */
export const ATTACH_WINDOW_MS = 20 * 3600_000;

/**
 * Applies `media.created` or `media.failed` to the replica unless an event with a larger sequence
 * set the row already, so the row ends as the latest event says whatever order retries deliver
 * them in. `purpose` only comes with media.created; the upload time is the event's.
 */
export async function applyMediaEvent(
  manager: EntityManager,
  change: { mediaId: string; ownerId: string; purpose?: MediaPurpose; state: MediaRefState },
  event: { sequence: number; occurredAt: string },
): Promise<void> {
  const set: Partial<MediaRef> = { ownerId: change.ownerId, state: change.state };
  if (change.purpose) set.purpose = change.purpose;
  await applyIfNewer(
    manager,
    MediaRefEntity,
    { id: change.mediaId },
    set,
    {
      id: change.mediaId,
      ownerId: change.ownerId,
      purpose: change.purpose ?? null,
      state: change.state,
      uploadedAt: new Date(event.occurredAt),
      subject: null,
      detachedAt: null,
    },
    event.sequence,
  );
}

/** The event handlers that keep a service's replica, spread into its own (`...mediaRefHandlers`). */
export const mediaRefHandlers = {
  'media.created': (p, manager, event) =>
    applyMediaEvent(
      manager,
      { mediaId: p.mediaId, ownerId: p.ownerId, purpose: p.purpose, state: 'ACTIVE' },
      event,
    ),
  'media.failed': (p, manager, event) =>
    applyMediaEvent(manager, { mediaId: p.mediaId, ownerId: p.ownerId, state: 'FAILED' }, event),
} satisfies Pick<Required<EventHandlers>, 'media.created' | 'media.failed'>;

/**
 * The image ids a client gave (field `imageIds`), in order: at most MAX_IMAGES, each a valid id,
 * none twice. Null or absent: undefined (an update leaves the images as they are).
 */
export function imageIdsOf(value: readonly string[] | null | undefined): string[] | undefined {
  if (value == null) return undefined;
  if (value.length > MAX_IMAGES) throw badInput(`At most ${MAX_IMAGES} images`, 'imageIds');
  const ids = value.map((id) => parseId(id, 'imageIds'));
  if (new Set(ids).size !== ids.length) throw badInput('The same image is given twice', 'imageIds');
  return ids;
}

/** The refs, locked for the rest of the transaction and read as committed (FOR UPDATE on MySQL). */
async function lockedRefs(manager: EntityManager, ids: string[]): Promise<Map<string, MediaRef>> {
  if (!ids.length) return new Map();
  // SQLite runs one transaction at a time: holding it is the lock.
  const rows =
    dialectOf(manager) === 'sqlite'
      ? await manager.findBy(MediaRefEntity, { id: In(ids) })
      : await manager.find(MediaRefEntity, { where: { id: In(ids) }, lock: { mode: 'pessimistic_write' } });
  return new Map(rows.map((r) => [r.id, r]));
}

export interface ImageChange {
  /** `review:<id>`, `post:<id>` or `avatar:<user id>`. */
  subject: string;
  /** Who attaches: new images must be their uploads. */
  uploaderId: string;
  /** The purpose an upload must have been made for. */
  purpose: MediaPurpose;
  /** What the images go on, for messages: "a review". */
  noun: string;
  /** The subject's images now. */
  current: readonly string[];
  /** Its images after the change (checked by imageIdsOf). */
  wanted: readonly string[];
}

/** Why an image cannot be attached, or null when it can. */
function refusal(ref: MediaRef | undefined, change: ImageChange, now: number): string | null {
  if (!ref || ref.ownerId !== change.uploaderId) return 'is not your upload (or not known yet)';
  if (ref.state === 'FAILED') return 'could not be processed; upload it again';
  if (ref.purpose !== change.purpose)
    return `was uploaded for ${ref.purpose ?? 'something else'}, not for ${change.noun}`;
  if (ref.detachedAt) return 'was removed from where it was; upload it again';
  if (ref.subject) return 'is attached elsewhere already (an upload is attached once)';
  if (now - ref.uploadedAt.getTime() > ATTACH_WINDOW_MS) return 'is too old to attach; upload it again';
  return null;
}

/**
 * Makes `wanted` the images of `subject` in the caller's transaction: refuses any new one that is
 * not the uploader's, unknown, FAILED, for another purpose, or attached once already (nothing is
 * written then: the transaction rolls back); marks the new ones attached and the dropped ones
 * detached in the replica, and records media.attached and media.detached for media. The caller
 * stores the order.
 */
export async function replaceImages(
  manager: EntityManager,
  change: ImageChange,
): Promise<{ added: string[]; removed: string[] }> {
  const current = new Set(change.current);
  const wanted = new Set(change.wanted);
  const added = change.wanted.filter((id) => !current.has(id));
  const removed = change.current.filter((id) => !wanted.has(id));
  const refs = await lockedRefs(manager, [...added, ...removed]);
  const now = Date.now();
  for (const id of added) {
    const why = refusal(refs.get(id), change, now);
    if (why) throw badInput(`Image ${id} ${why}`, 'imageIds');
  }
  if (added.length) {
    await manager.update(MediaRefEntity, { id: In(added) }, { subject: change.subject });
    await recordEvent(manager, 'media.attached', {
      mediaIds: added,
      ownerId: change.uploaderId,
      subject: change.subject,
    });
  }
  if (removed.length) {
    await manager.update(MediaRefEntity, { id: In(removed) }, { detachedAt: new Date(now) });
    await recordEvent(manager, 'media.detached', { mediaIds: removed, subject: change.subject });
  }
  return { added, removed };
}

/** The message when the unique index on attached media saw a race the locks did not. */
export const attachedElsewhere = () =>
  badInput('An image is attached elsewhere already (an upload is attached once)', 'imageIds');

/** A table of ordered images: one row per (parent, media) with its position. */
export interface ImageTable {
  entity: EntitySchema<{ mediaId: string; position: number }>;
  /** The parent's column as the entity names it (`reviewId`, `postId`). */
  parent: string;
  purpose: MediaPurpose;
  /** What the images go on, for messages: "a review". */
  noun: string;
  subjectOf(parentId: string): string;
}

/** Reading and replacing the ordered images of a review or a post. */
export function orderedImages(table: ImageTable) {
  const of = async (manager: EntityManager, parentId: string): Promise<string[]> => {
    const rows = await manager.find(table.entity, {
      where: { [table.parent]: parentId } as never,
      order: { position: 'ASC' },
    });
    return rows.map((r) => r.mediaId);
  };
  /**
   * Makes `wanted` the parent's images in the caller's transaction (see replaceImages): new ones
   * must be uploads of `uploaderId`'s; the order is stored.
   */
  const set = async (
    manager: EntityManager,
    parentId: string,
    uploaderId: string,
    current: string[],
    wanted: string[],
  ): Promise<void> => {
    if (current.length === wanted.length && current.every((id, i) => id === wanted[i])) return;
    await replaceImages(manager, {
      subject: table.subjectOf(parentId),
      uploaderId,
      purpose: table.purpose,
      noun: table.noun,
      current,
      wanted,
    });
    await manager.delete(table.entity, { [table.parent]: parentId } as never);
    if (!wanted.length) return;
    try {
      await manager.insert(
        table.entity,
        wanted.map((mediaId, position) => ({ [table.parent]: parentId, mediaId, position })) as never,
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw attachedElsewhere();
      throw err;
    }
  };
  return { of, set };
}
