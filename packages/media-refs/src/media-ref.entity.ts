import { EntitySchema, Table, type QueryRunner } from 'typeorm';
import type { MediaPurpose } from '@moim/events';
import { bigintAsString, column } from '@moim/kit';

export type MediaRefState = 'ACTIVE' | 'FAILED';

/**
 * A service's copy of who uploaded which media (review and social keep one each), fed by media's
 * `media.created` and `media.failed` events (docs/decisions/0009): what attaching an image checks
 * without asking media. `version` is the sequence of the event that last set `state`, so a late
 * `media.created` cannot undo a `media.failed`. `subject` and `detachedAt` are the service's own:
 * where the image went (an upload is attached once) and when it was taken off again (after which
 * it cannot come back).
 */
export interface MediaRef {
  id: string;
  ownerId: string;
  /** Null when `media.failed` arrived before `media.created` (a failed upload is refused anyway). */
  purpose: MediaPurpose | null;
  state: MediaRefState;
  version: string;
  /** When media recorded the upload (the event's time): old unattached uploads are media's to remove. */
  uploadedAt: Date;
  /** `review:<id>`, `post:<id>` or `avatar:<user id>` once attached here. */
  subject: string | null;
  detachedAt: Date | null;
}

export const MediaRefEntity = new EntitySchema<MediaRef>({
  name: 'MediaRef',
  tableName: 'media_refs',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    ownerId: { name: 'owner_id', type: 'varchar', length: 36 },
    purpose: { type: 'varchar', length: 10, nullable: true },
    state: { type: 'varchar', length: 10 },
    version: { type: 'bigint', transformer: bigintAsString },
    uploadedAt: { name: 'uploaded_at', type: 'datetime', precision: 3 },
    subject: { type: 'varchar', length: 60, nullable: true },
    detachedAt: { name: 'detached_at', type: 'datetime', precision: 3, nullable: true },
  },
});

/** Creates `media_refs` in a service's migration (the same table in every service that keeps one). */
export async function createMediaRefsTable(q: QueryRunner): Promise<void> {
  await q.createTable(
    new Table({
      name: 'media_refs',
      columns: [
        column.id('id', { primary: true }),
        column.id('owner_id'),
        column.text('purpose', 10, { nullable: true }),
        column.text('state', 10),
        { name: 'version', type: 'bigint' },
        column.time('uploaded_at'),
        column.text('subject', 60, { nullable: true }),
        column.time('detached_at', { nullable: true }),
      ],
    }),
  );
}
