import type { Storage } from '@google-cloud/storage';
import { isMediaKey, type MediaStorage } from './storage.port';

/** Variants never change once written (a new upload is a new media id): caches keep them a year. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The object is not there (a JSON API 404 or an XML API NoSuchKey). */
const isNotFound = (err: unknown): boolean => (err as { code?: unknown }).code === 404;

function objectKey(key: string): string {
  if (!isMediaKey(key)) throw new Error(`Not a media key: ${key}`);
  return key;
}

/**
 * Objects in a Google Cloud Storage bucket. Clients PUT uploads straight to the bucket with a V4
 * signed URL (bytes never pass through media); variants are served by the bucket or a CDN in
 * front of it, at `publicBaseUrl` (default https://storage.googleapis.com/<bucket>).
 *
 * The signed upload URL binds the content type, the exact size (`x-goog-content-length-range`)
 * and `x-goog-if-generation-match: 0`, so it can write the object once: a second PUT of the
 * same URL fails its precondition (412) instead of replacing bytes already uploaded.
 */
export function createGcsStorage(options: {
  storage: Storage;
  bucket: string;
  publicBaseUrl?: string;
}): MediaStorage {
  const bucket = options.storage.bucket(options.bucket);
  const publicBase = (options.publicBaseUrl ?? `https://storage.googleapis.com/${options.bucket}`).replace(
    /\/+$/,
    '',
  );
  const file = (key: string) => bucket.file(objectKey(key));
  return {
    name: 'gcs',
    async uploadTarget(key, upload) {
      const extensionHeaders = {
        'x-goog-content-length-range': `${upload.byteSize},${upload.byteSize}`,
        'x-goog-if-generation-match': '0',
      };
      const [url] = await file(key).getSignedUrl({
        version: 'v4',
        action: 'write',
        expires: upload.expiresAt,
        contentType: upload.contentType,
        extensionHeaders,
      });
      // Every signed header must be sent as signed (host is the URL's own).
      return {
        url,
        method: 'PUT',
        headers: { 'content-type': upload.contentType, ...extensionHeaders },
        expiresAt: upload.expiresAt,
      };
    },
    async read(key) {
      try {
        const [bytes] = await file(key).download();
        return bytes;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async size(key) {
      try {
        const [metadata] = await file(key).getMetadata();
        return Number(metadata.size);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
    async write(key, bytes, contentType) {
      // One request (no resumable session) for images of a few megabytes; the upload is atomic:
      // readers see the old object or the whole new one.
      await file(key).save(bytes, {
        resumable: false,
        contentType,
        metadata: { contentType, cacheControl: key.startsWith('media/') ? IMMUTABLE : 'private, no-store' },
      });
    },
    async remove(keys) {
      await Promise.all(keys.map((key) => file(key).delete({ ignoreNotFound: true })));
    },
    publicUrl: (key) => `${publicBase}/${objectKey(key)}`,
  };
}
