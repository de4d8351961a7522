import type { Logger } from '@moim/kit';
import type { MediaConfig } from '../env';
import { createLocalStorage } from './local-storage';
import type { MediaStorage } from './storage.port';

// TODO(helper M1): signed local upload URLs (HMAC, expiry, size, type) and the GCS adapter.
export function createStorage(config: MediaConfig, logger: Logger): MediaStorage {
  if (config.MEDIA_STORAGE === 'gcs') throw new Error('MEDIA_STORAGE=gcs: not implemented yet');
  logger.info({ dir: config.MEDIA_DIR }, 'MEDIA_STORAGE=local: files on this disk, served by media');
  return createLocalStorage({
    dir: config.MEDIA_DIR,
    publicUrl: config.MEDIA_PUBLIC_URL,
    signUpload: (key) => `${config.MEDIA_PUBLIC_URL}/${key}`,
  });
}
