/** Where and how a client sends an upload's bytes. */
export interface UploadTarget {
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
  expiresAt: Date;
}

/**
 * The storage port: the local-disk adapter (media serves uploads and files itself) and the
 * Google Cloud Storage adapter (signed V4 URLs, objects served by the bucket or a CDN). Keys are
 * `uploads/<media id>` for originals and `media/<media id>/<variant>.<ext>` for variants.
 */
export interface MediaStorage {
  readonly name: 'local' | 'gcs';
  /** A signed URL the client PUTs exactly `byteSize` bytes of `contentType` to, once, before it expires. */
  uploadTarget(
    key: string,
    upload: { contentType: string; byteSize: number; expiresAt: Date },
  ): Promise<UploadTarget>;
  /** The object's bytes, or null when there is none. */
  read(key: string): Promise<Buffer | null>;
  /** Its size in bytes, or null when there is none (checked before reading a whole upload). */
  size(key: string): Promise<number | null>;
  write(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** Removes the objects; missing ones are fine. */
  remove(keys: string[]): Promise<void>;
  /** Where clients fetch a variant. */
  publicUrl(key: string): string;
}

export const uploadKey = (mediaId: string) => `uploads/${mediaId}`;

export type VariantName = 'thumb' | 'medium' | 'large';
export type VariantExtension = 'webp' | 'avif' | 'jpg';

export const variantKey = (mediaId: string, variant: VariantName, ext: VariantExtension) =>
  `media/${mediaId}/${variant}.${ext}`;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const MEDIA_KEY = new RegExp(`^(uploads/${UUID}|media/${UUID}/(thumb|medium|large)\\.(webp|avif|jpg))$`);

/** Whether `key` is one of the two shapes above: adapters refuse anything else. */
export const isMediaKey = (key: string): boolean => MEDIA_KEY.test(key);
