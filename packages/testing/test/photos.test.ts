import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, ok, startGraph, type Account, type Graph } from '../src';

// A real photograph through the whole pipeline, as a mobile client sends it: createUpload through
// the gateway, the bytes PUT to media's signed URL, completeUpload, the resize worker, then every
// variant fetched over HTTP where `url` says it is.
const fixture = (name: string) =>
  readFileSync(new URL(`../../../services/media/test/fixtures/${name}`, import.meta.url));
/** 900×1600 pixels as stored, EXIF orientation 6 (upright 1600×900), GPS in EXIF and XMP, a P3 ICC profile. */
const GPS_PHOTO = 'photo-gps-rotated.jpg';
/** 134×200: smaller than every variant. */
const SMALL_PHOTO = 'photo-small.jpg';

const VARIANTS = { THUMB: 320, MEDIUM: 1080, LARGE: 2048 } as const;
const FORMATS = {
  WEBP: { contentType: 'image/webp', sharp: 'webp' },
  AVIF: { contentType: 'image/avif', sharp: 'heif' },
  JPEG: { contentType: 'image/jpeg', sharp: 'jpeg' },
} as const;
type Variant = keyof typeof VARIANTS;
type Format = keyof typeof FORMATS;
const COMBINATIONS = (Object.keys(VARIANTS) as Variant[]).flatMap((v) =>
  (Object.keys(FORMATS) as Format[]).map((f) => [v, f] as const),
);

const CREATE = `mutation($input: CreateUploadInput!) {
  createUpload(input: $input) { media { id state } uploadUrl method headers { name value } }
}`;
const COMPLETE = 'mutation($id: ID!) { completeUpload(mediaId: $id) { id state } }';
const READ = `query($id: ID!) {
  media(id: $id) {
    id state failureReason width height placeholder
    ${COMBINATIONS.map(([v, f]) => `${v}_${f}: url(variant: ${v}, format: ${f})`).join('\n    ')}
  }
}`;

interface MediaView {
  id: string;
  state: string;
  failureReason: string | null;
  width: number | null;
  height: number | null;
  placeholder: string | null;
  [url: string]: string | number | null;
}

let graph: Graph;
let alice: Account;

beforeAll(async () => {
  graph = await startGraph();
  alice = await graph.person('photographer');
});
afterAll(() => graph?.stop());

/** Upload → PUT → complete → settled: the media as the graph shows it afterwards. */
async function uploadPhoto(bytes: Buffer, contentType = 'image/jpeg'): Promise<MediaView> {
  const { createUpload: ticket } = ok(
    await graph.gql<{
      createUpload: {
        media: { id: string; state: string };
        uploadUrl: string;
        method: string;
        headers: Array<{ name: string; value: string }>;
      };
    }>(CREATE, { input: { contentType, byteSize: bytes.length, purpose: 'REVIEW' } }, alice.token),
  );
  expect(ticket.media.state).toBe('PENDING');
  const put = await fetch(ticket.uploadUrl, {
    method: ticket.method,
    headers: Object.fromEntries(ticket.headers.map((h) => [h.name, h.value])),
    body: bytes,
  });
  expect(put.ok, `PUT ${put.status}: ${await put.clone().text()}`).toBe(true);
  const completed = ok(
    await graph.gql<{ completeUpload: { state: string } }>(COMPLETE, { id: ticket.media.id }, alice.token),
  );
  expect(completed.completeUpload.state).toBe('PROCESSING');
  await graph.settled();
  return ok(await graph.gql<{ media: MediaView }>(READ, { id: ticket.media.id })).media;
}

async function fetchImage(url: string) {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { res, bytes, meta: await sharp(bytes).metadata() };
}

describe('a photo uploaded through the gateway', () => {
  it('ends READY upright, and every variant is served at its URL with the right size and type and no metadata', async () => {
    const original = fixture(GPS_PHOTO);
    // What must not survive is really there.
    const before = await sharp(original).metadata();
    expect(before).toMatchObject({ width: 900, height: 1600, orientation: 6 });
    expect(before.xmp?.toString('latin1')).toContain('GPSLatitude');
    expect(before.exif).toBeDefined();

    const media = await uploadPhoto(original);
    expect(media).toMatchObject({ state: 'READY', failureReason: null, width: 1600, height: 900 });
    expect(media.placeholder).toMatch(/^data:image\/webp;base64,/);

    for (const [variant, format] of COMBINATIONS) {
      const url = media[`${variant}_${format}`] as string;
      expect(url, `${variant} ${format}`).toMatch(/^https?:\/\//);
      const { res, bytes, meta } = await fetchImage(url);
      expect(res.headers.get('content-type')).toBe(FORMATS[format].contentType);
      // Upright (landscape), never larger than the original's 1600 px.
      const long = Math.min(VARIANTS[variant], 1600);
      expect({ format: meta.format, width: meta.width, height: meta.height }, `${variant} ${format}`).toEqual(
        {
          format: FORMATS[format].sharp,
          width: long,
          height: Math.round((long * 900) / 1600),
        },
      );
      expect(meta.orientation).toBeUndefined();
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(bytes.includes('GPS')).toBe(false);
    }
  });

  it('never upscales a small photo', async () => {
    const media = await uploadPhoto(fixture(SMALL_PHOTO));
    expect(media).toMatchObject({ state: 'READY', width: 134, height: 200 });
    for (const [variant, format] of COMBINATIONS) {
      const { meta } = await fetchImage(media[`${variant}_${format}`] as string);
      expect({ width: meta.width, height: meta.height }, `${variant} ${format}`).toEqual({
        width: 134,
        height: 200,
      });
    }
  });

  it('a text file declared as a JPEG ends FAILED with a reason, and has no URLs', async () => {
    const media = await uploadPhoto(Buffer.from('Not a photo at all, just some words.\n'.repeat(10)));
    expect(media).toMatchObject({
      state: 'FAILED',
      failureReason: 'not a supported image (send JPEG, PNG, WebP, HEIC, AVIF or GIF)',
      width: null,
      placeholder: null,
    });
    for (const [variant, format] of COMBINATIONS) expect(media[`${variant}_${format}`]).toBeNull();
  });

  it('completeUpload of somebody else’s media is refused', async () => {
    const bob = await graph.person('bystander');
    const bytes = fixture(SMALL_PHOTO);
    const { createUpload } = ok(
      await graph.gql<{ createUpload: { media: { id: string } } }>(
        CREATE,
        { input: { contentType: 'image/jpeg', byteSize: bytes.length, purpose: 'REVIEW' } },
        alice.token,
      ),
    );
    expect(codeOf(await graph.gql(COMPLETE, { id: createUpload.media.id }, bob.token))).toBe('FORBIDDEN');
  });
});
