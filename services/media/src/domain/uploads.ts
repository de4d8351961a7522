import type { MediaPurpose } from '@moim/events';
import {
  badInput,
  forbidden,
  lockRows,
  newId,
  notFound,
  parseId,
  recordEvent,
  recordJob,
  type RateLimit,
} from '@moim/kit';
import { MediaEntity, type Media } from '../entities';
import { RESIZE_IMAGE } from '../resize/resize-job';
import { uploadKey, type UploadTarget } from '../storage/storage.port';
import type { MediaDeps } from './context';

/** What may be declared; the resize worker checks the bytes' real format whatever was declared. */
export const UPLOAD_CONTENT_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/heic',
  'image/heif',
  'image/avif',
  'image/gif',
] as const;

/** Uploads asked for per user; while Redis is away they go through (an upload is an ordinary write). */
export const UPLOADS_PER_USER: RateLimit = {
  name: 'upload:user',
  max: 60,
  windowSeconds: 3600,
  whenUnavailable: 'allow',
};

export interface CreateUploadInput {
  contentType: string;
  byteSize: number;
  purpose: MediaPurpose;
}

export interface UploadTicket {
  media: Media;
  target: UploadTarget;
}

function checkedContentType(value: string): string {
  const type = value.trim().toLowerCase();
  if (!(UPLOAD_CONTENT_TYPES as readonly string[]).includes(type))
    throw badInput(`contentType must be one of ${UPLOAD_CONTENT_TYPES.join(', ')}`, 'contentType');
  return type;
}

function checkedByteSize(value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw badInput('byteSize must be the size of the image in bytes, at least 1', 'byteSize');
  if (value > max)
    throw badInput(`The image is too large: at most ${max} bytes (${formatSize(max)})`, 'byteSize');
  return value;
}

const formatSize = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MB` : `${+(bytes / 1024).toFixed(1)} KB`;

/**
 * Starts an upload of `ownerId`'s: a PENDING media (announced as media.created in the same
 * transaction) and a URL its exact bytes can be PUT to until UPLOAD_URL_TTL_SECONDS from now.
 * The URL is signed before the row exists, so a signing failure leaves nothing behind.
 */
export async function createUpload(
  deps: MediaDeps,
  ownerId: string,
  input: CreateUploadInput,
): Promise<UploadTicket> {
  const contentType = checkedContentType(input.contentType);
  const byteSize = checkedByteSize(input.byteSize, deps.config.MAX_UPLOAD_BYTES);
  await deps.rateLimiter.hit(UPLOADS_PER_USER, ownerId);
  const now = new Date();
  const media: Media = {
    id: newId(),
    ownerId,
    purpose: input.purpose,
    contentType,
    byteSize,
    state: 'PENDING',
    failureReason: null,
    width: null,
    height: null,
    placeholder: null,
    uploadedAt: null,
    attachedTo: null,
    detachedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const target = await deps.storage.uploadTarget(uploadKey(media.id), {
    contentType,
    byteSize,
    expiresAt: new Date(now.getTime() + deps.config.UPLOAD_URL_TTL_SECONDS * 1000),
  });
  await deps.db.transaction(async (manager) => {
    await manager.insert(MediaEntity, media);
    await recordEvent(manager, 'media.created', { mediaId: media.id, ownerId, purpose: media.purpose });
  });
  return { media, target };
}

/** The resize job of a media: one per media, whoever completes it and however often. */
export const resizeJobId = (mediaId: string) => `resize-${mediaId}`;

/**
 * After the bytes are uploaded: the owner's PENDING media goes to PROCESSING and its resize job
 * is queued (through the outbox, in the same transaction). Completing a media already past
 * PENDING returns it unchanged, so a client may retry.
 */
export async function completeUpload(deps: MediaDeps, userId: string, id: string): Promise<Media> {
  const mediaId = parseId(id, 'mediaId');
  const media = await deps.db.dataSource.getRepository(MediaEntity).findOneBy({ id: mediaId });
  if (!media) throw notFound('No media with this id');
  if (media.ownerId !== userId) throw forbidden('Only who uploaded this media can complete it');
  if (media.state !== 'PENDING') return media;

  const key = uploadKey(mediaId);
  const size = await deps.storage.size(key);
  if (size === null) throw badInput('Nothing was uploaded for this media: upload the bytes first', 'mediaId');
  if (size !== media.byteSize)
    throw badInput(
      `The uploaded bytes (${size}) are not the ${media.byteSize} bytes declared: start a new upload`,
      'mediaId',
    );

  return deps.db.transaction(async (manager) => {
    // Two completions at once: the second waits, then finds the media PROCESSING and returns it.
    await lockRows(manager, MediaEntity, { id: mediaId });
    const current = await manager.findOneByOrFail(MediaEntity, { id: mediaId });
    if (current.state !== 'PENDING') return current;
    const now = new Date();
    const changes = { state: 'PROCESSING' as const, uploadedAt: current.uploadedAt ?? now, updatedAt: now };
    await manager.update(MediaEntity, { id: mediaId }, changes);
    await recordJob(manager, RESIZE_IMAGE, { mediaId }, { id: resizeJobId(mediaId) });
    return { ...current, ...changes };
  });
}
