import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fixture, pngBomb, ROTATED, SMALL, truncated } from '../../test/fixtures/images';
import {
  decodeImage,
  FORMATS,
  ImageRejected,
  looksLikeAcceptedImage,
  processImage,
  variantKeys,
  VARIANTS,
} from './pipeline';

// The sharp half of the resize job, on real photographs and on bytes that must be refused.
const maxPixels = 100_000_000;

async function rejection(bytes: Buffer, limit = maxPixels): Promise<string> {
  const err = await decodeImage(bytes, { maxPixels: limit }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageRejected);
  return (err as ImageRejected).reason;
}

describe('processImage', () => {
  it('makes every variant of an EXIF-rotated photo upright, in WebP, AVIF and JPEG, without metadata', async () => {
    const input = fixture('photo-gps-rotated.jpg');
    const before = await sharp(input).metadata();
    // The fixture really carries what must go: orientation, GPS (EXIF and XMP), an ICC profile.
    expect(before).toMatchObject({
      width: ROTATED.storedWidth,
      height: ROTATED.storedHeight,
      orientation: 6,
    });
    expect(before.exif?.includes('GPS')).toBe(false); // tag names are not stored as text…
    expect(before.xmp?.toString('latin1')).toContain('GPSLatitude'); // …but XMP is
    expect(before.icc).toBeDefined();

    const result = await processImage(input, { maxPixels });
    // Upright: width and height swapped against the stored pixels.
    expect({ width: result.width, height: result.height }).toEqual({
      width: ROTATED.storedHeight,
      height: ROTATED.storedWidth,
    });
    expect(result.variants).toHaveLength(VARIANTS.length * FORMATS.length);
    const long = { thumb: 320, medium: 1080, large: 1600 }; // large: the original, not enlarged
    for (const v of result.variants) {
      const meta = await sharp(v.bytes).metadata();
      expect(meta.format).toBe(v.ext === 'jpg' ? 'jpeg' : v.ext === 'avif' ? 'heif' : 'webp');
      if (v.ext === 'avif') expect(meta.compression).toBe('av1');
      expect({ width: meta.width, height: meta.height }).toEqual({ width: v.width, height: v.height });
      expect(v.width).toBe(long[v.variant]);
      expect(v.height).toBe(Math.round((long[v.variant] * 900) / 1600));
      expect(meta.orientation).toBeUndefined();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(meta.iptc).toBeUndefined();
      expect(v.bytes.includes('GPS')).toBe(false);
    }
    expect(result.placeholder).toMatch(/^data:image\/webp;base64,[A-Za-z0-9+/]+=*$/);
    const tiny = await sharp(Buffer.from(result.placeholder.split(',')[1]!, 'base64')).metadata();
    expect({ format: tiny.format, width: tiny.width, height: tiny.height }).toEqual({
      format: 'webp',
      width: 16,
      height: 9,
    });
  });

  it('never upscales a small photo', async () => {
    const result = await processImage(fixture('photo-small.jpg'), { maxPixels });
    expect({ width: result.width, height: result.height }).toEqual(SMALL);
    for (const v of result.variants) expect({ width: v.width, height: v.height }).toEqual(SMALL);
  });

  it('takes every accepted format by its content: PNG, WebP, AVIF, GIF, greyscale with alpha', async () => {
    const photo = sharp(fixture('photo-small.jpg'));
    for (const [format, bytes] of [
      ['png', await photo.clone().png().toBuffer()],
      ['webp', await photo.clone().webp().toBuffer()],
      ['heif', await photo.clone().avif().toBuffer()],
      ['gif', await photo.clone().gif().toBuffer()],
    ] as const) {
      const image = await decodeImage(bytes, { maxPixels });
      expect({ format: image.format, width: image.width, height: image.height }).toEqual({
        format,
        ...SMALL,
      });
    }
    const grey = await sharp(fixture('photo-small.jpg')).greyscale().ensureAlpha(0.5).png().toBuffer();
    const result = await processImage(grey, { maxPixels });
    const jpg = result.variants.find((v) => v.ext === 'jpg')!;
    expect((await sharp(jpg.bytes).metadata()).channels).toBe(3);
    const webp = result.variants.find((v) => v.ext === 'webp')!;
    expect((await sharp(webp.bytes).metadata()).hasAlpha).toBe(true);
  });

  it('refuses what is not an image, or not an accepted format', async () => {
    // Refused by their first bytes, before libvips (and its SVG, TIFF, … loaders) sees them.
    const refused = 'not a supported image (send JPEG, PNG, WebP, HEIC, AVIF or GIF)';
    expect(await rejection(Buffer.from('Hello, I am a text file pretending to be a JPEG.\n'))).toBe(refused);
    const tiff = await sharp(fixture('photo-small.jpg')).tiff().toBuffer();
    expect(await rejection(tiff)).toBe(refused);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect(await rejection(svg)).toBe(refused);
  });

  it('refuses a truncated photo as damaged', async () => {
    expect(await rejection(truncated(fixture('photo-gps-rotated.jpg')))).toBe(
      'the image is damaged or incomplete',
    );
  });

  it('refuses a decompression bomb by its header, without decoding it', async () => {
    const bomb = await pngBomb();
    expect(bomb.length).toBeLessThan(200_000);
    const rss = process.memoryUsage().rss;
    expect(await rejection(bomb)).toBe('too large: 900 megapixels (limit 100)');
    // Decoding would need 900 MB at the least (112 MB packed at 1 bit a pixel).
    expect(process.memoryUsage().rss - rss).toBeLessThan(50_000_000);
  });

  it('applies the configured pixel limit', async () => {
    expect(await rejection(fixture('photo-small.jpg'), 10_000)).toBe(
      'too large: 0.0268 megapixels (limit 0.01)',
    );
  });

  it('names nine keys per media', () => {
    expect(variantKeys('0b7f2b8e-1d4c-4a57-9a0e-2f1f3b1c9d11')).toContain(
      'media/0b7f2b8e-1d4c-4a57-9a0e-2f1f3b1c9d11/thumb.avif',
    );
    expect(new Set(variantKeys('x')).size).toBe(9);
  });
});

describe('the format check before libvips', () => {
  it('lets the accepted formats through by their signatures and nothing else', async () => {
    const base = sharp({ create: { width: 4, height: 4, channels: 3, background: '#888' } });
    for (const bytes of [
      await base.clone().jpeg().toBuffer(),
      await base.clone().png().toBuffer(),
      await base.clone().webp().toBuffer(),
      await base.clone().gif().toBuffer(),
      await base.clone().avif().toBuffer(),
    ])
      expect(looksLikeAcceptedImage(bytes)).toBe(true);
    for (const bytes of [
      Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      Buffer.from('%PDF-1.7'),
      await base.clone().tiff().toBuffer(),
      Buffer.from('hello, not an image'),
      Buffer.alloc(0),
    ])
      expect(looksLikeAcceptedImage(bytes)).toBe(false);
  });
});
