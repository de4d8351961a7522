import { z } from 'zod';
import { loadEnv, serviceEnv, serviceProblems, type EnvProblem } from '@moim/kit';

const shape = {
  ...serviceEnv(4003),
  /** `local`: files under MEDIA_DIR, uploaded to and served by media itself; `gcs`: a Cloud Storage bucket. */
  MEDIA_STORAGE: z.enum(['local', 'gcs']).default('local'),
  /** Where the local adapter keeps uploads and variants. */
  MEDIA_DIR: z.string().min(1).default('.data/media'),
  /** The address clients reach media's own routes at (local uploads and files). */
  MEDIA_PUBLIC_URL: z
    .string()
    .url()
    .transform((url) => url.replace(/\/+$/, ''))
    .default('http://localhost:4003'),
  GCS_BUCKET: z.string().optional(),
  /** Public or CDN base URL of the bucket's objects (default https://storage.googleapis.com/<bucket>). */
  GCS_PUBLIC_BASE_URL: z.string().url().optional(),
  GOOGLE_APPLICATION_CREDENTIALS: z.string().optional(),
  /** How long an upload URL works. */
  UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(30).max(3600).default(900),
  /** The largest upload accepted, in bytes. */
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(20 * 1024 * 1024),
  /** Images with more pixels are refused before decoding (decompression bombs). */
  MAX_IMAGE_PIXELS: z.coerce.number().int().min(1).default(100_000_000),
  /** Images resized at once by one worker process. */
  RESIZE_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
};

export type MediaConfig = ReturnType<typeof loadMediaEnv>;

export function loadMediaEnv(source: Record<string, string | undefined> = process.env) {
  return loadEnv(shape, source, (env) => [
    ...serviceProblems(env, true),
    ...(env.MEDIA_STORAGE === 'gcs' && !env.GCS_BUCKET
      ? [['GCS_BUCKET', 'Required when MEDIA_STORAGE=gcs'] as EnvProblem]
      : []),
  ]);
}
