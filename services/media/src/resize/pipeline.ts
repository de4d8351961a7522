import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { variantKey, type VariantExtension, type VariantName } from '../storage/storage.port';

/**
 * The image half of the resize job, without storage or database: sharp (libvips) turns an
 * upload's bytes into upright, metadata-free variants. Anything wrong with the bytes is an
 * `ImageRejected` with a reason a user can read; every other error (a bug, memory) is thrown as is.
 */

/** The variants, by their long edge; never upscaled. */
export const VARIANTS: ReadonlyArray<{ name: VariantName; size: number }> = [
  { name: 'thumb', size: 320 },
  { name: 'medium', size: 1080 },
  { name: 'large', size: 2048 },
];

export const FORMATS: ReadonlyArray<{ ext: VariantExtension; contentType: string }> = [
  { ext: 'webp', contentType: 'image/webp' },
  { ext: 'avif', contentType: 'image/avif' },
  { ext: 'jpg', contentType: 'image/jpeg' },
];

/** The nine keys a processed media has, whatever became of it (what a FAILED media must not keep). */
export const variantKeys = (mediaId: string): string[] =>
  VARIANTS.flatMap((v) => FORMATS.map((f) => variantKey(mediaId, v.name, f.ext)));

/**
 * Encoder settings, measured on a 1600×900 photograph (one libvips thread, 2 vCPUs):
 * - AVIF is the expensive one: effort 4 (sharp's default) took 2.3 s for the large variant,
 *   effort 3 0.42 s and effort 2 0.31 s, for files 4 % and 20 % larger than effort 4's. Effort 3
 *   keeps nearly all of the compression at a fifth of the time. Quality 50 is sharp's default and
 *   looks like WebP 80.
 * - WebP quality 80 at effort 4 (its default): 0.11 s, about 1.5× AVIF's bytes.
 * - JPEG is the fallback for clients without either: mozjpeg costs ~50 ms more than libjpeg-turbo
 *   on the large variant for files 15 % smaller, and is progressive. Quality 80.
 */
const ENCODE = {
  webp: (image: Sharp) => image.webp({ quality: 80, effort: 4 }),
  avif: (image: Sharp) => image.avif({ quality: 50, effort: 3 }),
  jpg: (image: Sharp) => image.flatten({ background: '#ffffff' }).jpeg({ quality: 80, mozjpeg: true }),
} satisfies Record<VariantExtension, (image: Sharp) => Sharp>;

/** What the bytes really are (sharp's name); declared content types are not trusted. */
const ACCEPTED: Record<string, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  heif: 'HEIC/AVIF',
  gif: 'GIF',
};

export class ImageRejected extends Error {
  override name = 'ImageRejected';
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface EncodedVariant {
  variant: VariantName;
  ext: VariantExtension;
  contentType: string;
  bytes: Buffer;
  width: number;
  height: number;
}

const megapixels = (pixels: number) => `${+(pixels / 1_000_000).toPrecision(3)}`;

/** Reads the header only (nothing is decoded): the real format and the pixel count. */
/**
 * The signatures of the formats accepted (JPEG, PNG, GIF, WebP, and HEIF/AVIF's ISO box): bytes of
 * any other kind never reach libvips, whose other loaders (SVG, PDF, TIFF, its own format, …)
 * untrusted uploads have no business exercising.
 */
export function looksLikeAcceptedImage(bytes: Buffer): boolean {
  const ascii = (from: number, to: number) => bytes.toString('latin1', from, to);
  return (
    (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) ||
    bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ||
    ascii(0, 4) === 'GIF8' ||
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') ||
    ascii(4, 8) === 'ftyp'
  );
}

async function inspect(bytes: Buffer, maxPixels: number): Promise<Metadata> {
  if (!looksLikeAcceptedImage(bytes))
    throw new ImageRejected('not a supported image (send JPEG, PNG, WebP, HEIC, AVIF or GIF)');
  let meta: Metadata;
  try {
    // No pixel limit here: reading a header allocates nothing, and the count is checked below
    // with the numbers a user can be told.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new ImageRejected('not a supported image (the content is not a known image format)');
  }
  if (!ACCEPTED[meta.format])
    throw new ImageRejected(
      `not a supported image (${meta.format.toUpperCase()}; send JPEG, PNG, WebP, HEIC, AVIF or GIF)`,
    );
  const pixels = (meta.width ?? 0) * (meta.height ?? 0);
  if (!pixels) throw new ImageRejected('the image is damaged or incomplete');
  if (pixels > maxPixels)
    throw new ImageRejected(`too large: ${megapixels(pixels)} megapixels (limit ${megapixels(maxPixels)})`);
  return meta;
}

function decodeFailure(err: unknown, meta: Metadata, maxPixels: number): ImageRejected {
  const message = err instanceof Error ? err.message : String(err);
  // Checked on the header already; libvips checks again (while decoding) as a second line.
  if (/pixel limit/i.test(message))
    return new ImageRejected(`too large: more than ${megapixels(maxPixels)} megapixels`);
  // The prebuilt libvips decodes AVIF (AV1) but not HEVC-coded HEIC: say so rather than "damaged".
  if (meta.format === 'heif' && meta.compression === 'hevc')
    return new ImageRejected('HEIC photos coded with HEVC cannot be read yet: send it as JPEG');
  return new ImageRejected('the image is damaged or incomplete');
}

/**
 * An upload decoded once: upright (EXIF orientation applied), in sRGB, at most LARGE's size, as
 * raw pixels. Every variant is resized from these pixels, so the original is decoded once (JPEG
 * with shrink-on-load) rather than nine times.
 */
export interface DecodedImage {
  /** The real format (sharp's name: jpeg, png, webp, heif, gif). */
  format: string;
  /** The upright original's dimensions. */
  width: number;
  height: number;
  /** Makes one variant in every format. */
  encode(variant: { name: VariantName; size: number }): Promise<EncodedVariant[]>;
  /** A ~16 px WebP as a data URL, for layout while the variant loads. */
  placeholder(): Promise<string>;
}

export async function decodeImage(bytes: Buffer, options: { maxPixels: number }): Promise<DecodedImage> {
  const meta = await inspect(bytes, options.maxPixels);
  const largest = VARIANTS[VARIANTS.length - 1]!.size;
  let pixels: { data: Buffer; info: OutputInfo };
  try {
    pixels = await sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error' })
      // Auto-orient: the EXIF orientation is applied to the pixels (and dropped with the rest).
      .rotate()
      .resize({ width: largest, height: largest, fit: 'inside', withoutEnlargement: true })
      // sRGB, 8 bits: an embedded ICC profile (Display P3, say) is converted, not kept.
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw decodeFailure(err, meta, options.maxPixels);
  }
  const { info } = pixels;
  const raw = {
    raw: { width: info.width, height: info.height, channels: info.channels },
  } as const;
  const upright = meta.autoOrient ?? { width: meta.width!, height: meta.height! };

  // Output carries no metadata: sharp writes EXIF, XMP, IPTC or an ICC profile only when asked
  // (keepExif, keepMetadata, withMetadata, keepIccProfile…), and raw pixels carry none to begin with.
  const resized = (size: number) =>
    sharp(pixels.data, raw).resize({
      width: size,
      height: size,
      fit: 'inside',
      withoutEnlargement: true,
    });

  return {
    format: meta.format,
    width: upright.width,
    height: upright.height,
    async encode(variant) {
      const out: EncodedVariant[] = [];
      // One after another: parallelism comes from RESIZE_CONCURRENCY images at once (see resize-job.ts).
      for (const format of FORMATS) {
        const { data, info } = await ENCODE[format.ext](resized(variant.size)).toBuffer({
          resolveWithObject: true,
        });
        out.push({
          variant: variant.name,
          ext: format.ext,
          contentType: format.contentType,
          bytes: data,
          width: info.width,
          height: info.height,
        });
      }
      return out;
    },
    async placeholder() {
      const tiny = await resized(16).webp({ quality: 40, effort: 6 }).toBuffer();
      return `data:image/webp;base64,${tiny.toString('base64')}`;
    },
  };
}

/** Every variant of an upload at once (for tests and the benchmark's baseline). */
export async function processImage(
  bytes: Buffer,
  options: { maxPixels: number },
): Promise<{ width: number; height: number; placeholder: string; variants: EncodedVariant[] }> {
  const image = await decodeImage(bytes, options);
  const variants: EncodedVariant[] = [];
  for (const variant of VARIANTS) variants.push(...(await image.encode(variant)));
  return { width: image.width, height: image.height, placeholder: await image.placeholder(), variants };
}
