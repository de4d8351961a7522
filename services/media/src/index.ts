export { service, typeDefs, type MediaService } from './service';
export { loadMediaEnv, type MediaConfig } from './env';
export { MediaEntity, type Media, type MediaState } from './entities';
export type { MediaDeps } from './domain/context';
export type { MediaStorage, UploadTarget } from './storage/storage.port';
export { RESIZE_IMAGE, IMAGE_RESIZE_QUEUE, configureSharp } from './resize/resize-job';
export { processImage, VARIANTS, FORMATS } from './resize/pipeline';
export { signedUploadUrl, uploadSigningKey } from './storage/upload-signature';
