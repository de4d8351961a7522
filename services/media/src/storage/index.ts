import { Storage } from '@google-cloud/storage';
import type { Logger } from '@moim/kit';
import type { MediaConfig } from '../env';
import { createGcsStorage } from './gcs-storage';
import { createLocalStorage } from './local-storage';
import type { MediaStorage } from './storage.port';
import { signedUploadUrl, uploadSigningKey } from './upload-signature';

export { isLocalStorage, type LocalStorage } from './local-storage';

/**
 * MEDIA_STORAGE=gcs: a Cloud Storage bucket, with credentials from GOOGLE_APPLICATION_CREDENTIALS
 * (a service-account key file) or else the platform's (on GKE or Cloud Run, which sign upload URLs
 * through IAM). MEDIA_STORAGE=local: files under MEDIA_DIR, uploaded to and served by media itself
 * through URLs signed with a key derived from INTERNAL_SECRET.
 */
export function createStorage(config: MediaConfig, logger: Logger): MediaStorage {
  if (config.MEDIA_STORAGE === 'gcs') {
    const bucket = config.GCS_BUCKET!;
    logger.info(
      { bucket, publicBaseUrl: config.GCS_PUBLIC_BASE_URL },
      'MEDIA_STORAGE=gcs: uploads and variants in a Cloud Storage bucket',
    );
    return createGcsStorage({
      storage: new Storage(
        config.GOOGLE_APPLICATION_CREDENTIALS ? { keyFilename: config.GOOGLE_APPLICATION_CREDENTIALS } : {},
      ),
      bucket,
      publicBaseUrl: config.GCS_PUBLIC_BASE_URL,
    });
  }
  logger.info(
    { dir: config.MEDIA_DIR, publicUrl: config.MEDIA_PUBLIC_URL },
    'MEDIA_STORAGE=local: files on this disk, served by media',
  );
  const key = uploadSigningKey(config.INTERNAL_SECRET);
  return createLocalStorage({
    dir: config.MEDIA_DIR,
    publicUrl: config.MEDIA_PUBLIC_URL,
    signUpload: (objectKey, upload) => {
      const mediaId = /^uploads\/([0-9a-f-]{36})$/.exec(objectKey)?.[1];
      if (!mediaId) throw new Error(`Uploads go to uploads/<media id>, not ${objectKey}`);
      return signedUploadUrl(config.MEDIA_PUBLIC_URL, key, {
        mediaId,
        expiresAt: upload.expiresAt.getTime(),
        byteSize: upload.byteSize,
        contentType: upload.contentType,
      });
    },
  });
}
