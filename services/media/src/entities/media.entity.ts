import { EntitySchema } from 'typeorm';
import type { MediaPurpose } from '@moim/events';

export type MediaState = 'PENDING' | 'PROCESSING' | 'READY' | 'FAILED';

/**
 * An upload and what became of it. The bytes live in storage: the original under
 * `uploads/<id>` until processed, the variants under `media/<id>/<variant>.<ext>`.
 */
export interface Media {
  id: string;
  ownerId: string;
  purpose: MediaPurpose;
  /** What the client declared; checked again on the bytes. */
  contentType: string;
  byteSize: number;
  state: MediaState;
  failureReason: string | null;
  width: number | null;
  height: number | null;
  placeholder: string | null;
  /** When the bytes arrived (an upload URL works once). */
  uploadedAt: Date | null;
  /** What it is attached to (`review:<id>`, `post:<id>`, `avatar:<user id>`), or null. */
  attachedTo: string | null;
  /** Set when what it was attached to let go of it: its objects are removed by the cleanup job. */
  detachedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const MediaEntity = new EntitySchema<Media>({
  name: 'Media',
  tableName: 'media',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    ownerId: { name: 'owner_id', type: 'varchar', length: 36 },
    purpose: { type: 'varchar', length: 10 },
    contentType: { name: 'content_type', type: 'varchar', length: 50 },
    byteSize: { name: 'byte_size', type: 'int' },
    state: { type: 'varchar', length: 12 },
    failureReason: { name: 'failure_reason', type: 'varchar', length: 300, nullable: true },
    width: { type: 'int', nullable: true },
    height: { type: 'int', nullable: true },
    placeholder: { type: 'text', nullable: true },
    uploadedAt: { name: 'uploaded_at', type: 'datetime', precision: 3, nullable: true },
    attachedTo: { name: 'attached_to', type: 'varchar', length: 60, nullable: true },
    detachedAt: { name: 'detached_at', type: 'datetime', precision: 3, nullable: true },
    createdAt: { name: 'created_at', type: 'datetime', precision: 3 },
    updatedAt: { name: 'updated_at', type: 'datetime', precision: 3 },
  },
});
