import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  verify,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@moim/kit';
import { loadMediaEnv } from '../env';
import { createGcsStorage, IMMUTABLE } from './gcs-storage';
import { createStorage } from './index';
import type { MediaStorage } from './storage.port';

// The contract of the Cloud Storage adapter, checked without the network: a throwaway service
// account key made here signs the URLs locally, and each URL is verified with its public key by
// rebuilding Google's V4 string-to-sign from the URL and the headers the client is told to send.

const CLIENT_EMAIL = 'moim-media@moim-test.iam.gserviceaccount.com';
const BUCKET = 'moim-media-test';

function serviceAccount() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey: createPublicKey(publicKey) };
}

const account = serviceAccount();
const stranger = serviceAccount();

const gcs = (options: { publicBaseUrl?: string } = {}) =>
  createGcsStorage({
    storage: new Storage({
      projectId: 'moim-test',
      credentials: { client_email: CLIENT_EMAIL, private_key: account.privateKey },
    }),
    bucket: BUCKET,
    ...options,
  });

/** RFC 3986 encoding, as V4 signing wants it (encodeURIComponent leaves !'()* alone). */
const encode = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Whether `url`'s X-Goog-Signature is `publicKey`'s signature of the request a client makes with
 * `headers` (the host comes from the URL), per
 * https://cloud.google.com/storage/docs/authentication/canonical-requests and
 * https://cloud.google.com/storage/docs/authentication/signatures#string-to-sign.
 */
function verifiesV4(
  method: string,
  url: URL,
  headers: Record<string, string>,
  publicKey: KeyObject,
): boolean {
  const query = [...url.searchParams].filter(([name]) => name !== 'X-Goog-Signature');
  const canonicalQuery = query
    .map(([name, value]) => [encode(name), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const all = {
    ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    host: url.host,
  };
  const signedHeaders = url.searchParams.get('X-Goog-SignedHeaders')!;
  const canonicalHeaders = signedHeaders
    .split(';')
    .map((name) => `${name}:${(all[name as keyof typeof all] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [
    method,
    url.pathname,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const credential = url.searchParams.get('X-Goog-Credential')!;
  const scope = credential.slice(credential.indexOf('/') + 1);
  const stringToSign = [
    'GOOG4-RSA-SHA256',
    url.searchParams.get('X-Goog-Date')!,
    scope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  return verify(
    'sha256',
    Buffer.from(stringToSign),
    publicKey,
    Buffer.from(url.searchParams.get('X-Goog-Signature')!, 'hex'),
  );
}

describe('the Cloud Storage adapter signs V4 upload URLs', () => {
  const id = randomUUID();
  const upload = { contentType: 'image/jpeg', byteSize: 123_456, expiresAt: new Date(Date.now() + 900_000) };

  it('for a PUT of exactly the declared bytes, once, to uploads/<id> in the bucket', async () => {
    const before = new Date();
    const target = await gcs().uploadTarget(`uploads/${id}`, upload);
    expect(target.method).toBe('PUT');
    expect(target.expiresAt).toEqual(upload.expiresAt);
    expect(target.headers).toEqual({
      'content-type': 'image/jpeg',
      'x-goog-content-length-range': '123456,123456',
      'x-goog-if-generation-match': '0',
    });

    const url = new URL(target.url);
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('storage.googleapis.com');
    expect(url.pathname).toBe(`/${BUCKET}/uploads/${id}`);
    const q = url.searchParams;
    expect(q.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
    const date = q.get('X-Goog-Date')!;
    expect(date).toMatch(/^\d{8}T\d{6}Z$/);
    const signedAt = Date.parse(
      `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
    );
    expect(signedAt).toBeGreaterThanOrEqual(Math.floor(before.getTime() / 1000) * 1000);
    expect(signedAt).toBeLessThanOrEqual(Date.now());
    expect(q.get('X-Goog-Credential')).toBe(`${CLIENT_EMAIL}/${date.slice(0, 8)}/auto/storage/goog4_request`);
    // Valid until the ticket's expiry, to the second.
    expect(signedAt + Number(q.get('X-Goog-Expires')) * 1000).toBe(
      Math.floor(upload.expiresAt.getTime() / 1000) * 1000,
    );
    expect(Number(q.get('X-Goog-Expires'))).toBeGreaterThan(895);
    expect(Number(q.get('X-Goog-Expires'))).toBeLessThanOrEqual(900);
    expect(q.get('X-Goog-SignedHeaders')).toBe(
      'content-type;host;x-goog-content-length-range;x-goog-if-generation-match',
    );
    expect(q.get('X-Goog-Signature')).toMatch(/^[0-9a-f]{512}$/);

    // The request the client is told to make is the one the key signed...
    expect(verifiesV4('PUT', url, target.headers, account.publicKey)).toBe(true);
    // ...and by nobody else's key, nor for any other request.
    expect(verifiesV4('PUT', url, target.headers, stranger.publicKey)).toBe(false);
    const other = (change: Record<string, string>) =>
      verifiesV4('PUT', url, { ...target.headers, ...change }, account.publicKey);
    expect(other({ 'content-type': 'image/png' })).toBe(false);
    expect(other({ 'x-goog-content-length-range': '0,999999999' })).toBe(false);
    expect(other({ 'x-goog-if-generation-match': '1' })).toBe(false);
    expect(verifiesV4('GET', url, target.headers, account.publicKey)).toBe(false);
    const elsewhere = new URL(url);
    elsewhere.pathname = `/${BUCKET}/uploads/${randomUUID()}`;
    expect(verifiesV4('PUT', elsewhere, target.headers, account.publicKey)).toBe(false);
    const longer = new URL(url);
    longer.searchParams.set('X-Goog-Expires', '604800');
    expect(verifiesV4('PUT', longer, target.headers, account.publicKey)).toBe(false);
  });

  it('signs each upload for its own size and type', async () => {
    const a = await gcs().uploadTarget(`uploads/${id}`, upload);
    const b = await gcs().uploadTarget(`uploads/${id}`, {
      ...upload,
      byteSize: 10,
      contentType: 'image/webp',
    });
    expect(b.headers).toMatchObject({ 'content-type': 'image/webp', 'x-goog-content-length-range': '10,10' });
    expect(verifiesV4('PUT', new URL(b.url), b.headers, account.publicKey)).toBe(true);
    expect(verifiesV4('PUT', new URL(b.url), a.headers, account.publicKey)).toBe(false);
  });

  it('refuses keys that are not media keys, and expiries past or over seven days', async () => {
    for (const key of ['../uploads/x', `uploads/${id}/../../etc`, `media/${id}/thumb.png`, 'uploads/abc', ''])
      await expect(gcs().uploadTarget(key, upload)).rejects.toThrow(/Not a media key/);
    await expect(
      gcs().uploadTarget(`uploads/${id}`, { ...upload, expiresAt: new Date(Date.now() - 1000) }),
    ).rejects.toThrow(/past/);
    await expect(
      gcs().uploadTarget(`uploads/${id}`, { ...upload, expiresAt: new Date(Date.now() + 8 * 86_400_000) }),
    ).rejects.toThrow(/seven days/);
  });
});

describe('the Cloud Storage adapter names objects and their public URLs', () => {
  const id = randomUUID();

  it('under https://storage.googleapis.com/<bucket> by default, or a CDN base', () => {
    expect(gcs().publicUrl(`media/${id}/thumb.webp`)).toBe(
      `https://storage.googleapis.com/${BUCKET}/media/${id}/thumb.webp`,
    );
    expect(gcs({ publicBaseUrl: 'https://img.moim.example/' }).publicUrl(`media/${id}/large.jpg`)).toBe(
      `https://img.moim.example/media/${id}/large.jpg`,
    );
    for (const variant of ['thumb', 'medium', 'large'])
      for (const ext of ['webp', 'avif', 'jpg'])
        expect(gcs().publicUrl(`media/${id}/${variant}.${ext}`)).toMatch(
          new RegExp(`/media/${id}/${variant}\\.${ext}$`),
        );
    expect(() => gcs().publicUrl(`media/${id}/../../x.webp`)).toThrow(/Not a media key/);
    expect(() => gcs().publicUrl(`media/${id}/huge.webp`)).toThrow(/Not a media key/);
  });
});

/** CRC-32C (Castagnoli), big-endian and base64 as Cloud Storage reports it. */
function crc32c(bytes: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return out.toString('base64');
}

/**
 * A stand-in for the Cloud Storage JSON API on this machine (the client skips auth for a custom
 * endpoint): objects in a Map, and every request recorded.
 */
function fakeJsonApi() {
  const objects = new Map<string, { bytes: Buffer; metadata: Record<string, unknown> }>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url!, 'http://x');
      requests.push(`${req.method} ${url.pathname}`);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const missing = () => json(404, { error: { code: 404, message: 'No such object' } });
      const object = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'POST' && url.pathname === `/upload/storage/v1/b/${BUCKET}/o`) {
        // multipart/related: the metadata as JSON, then the bytes.
        const body = Buffer.concat(chunks);
        const boundary = `--${/boundary=([^;]+)/.exec(req.headers['content-type']!)![1]}`;
        const parts: Buffer[] = [];
        let at = body.indexOf(boundary) + boundary.length;
        for (let next; (next = body.indexOf(boundary, at)) !== -1; at = next + boundary.length) {
          const part = body.subarray(at, next - 2); // without the CRLF before the boundary
          parts.push(part.subarray(part.indexOf('\r\n\r\n') + 4));
        }
        const metadata = JSON.parse(parts[0]!.toString()) as Record<string, unknown>;
        const name = url.searchParams.get('name')!;
        const bytes = parts[1]!;
        const stored = {
          ...metadata,
          name,
          bucket: BUCKET,
          size: String(bytes.length),
          md5Hash: createHash('md5').update(bytes).digest('base64'),
          crc32c: crc32c(bytes),
        };
        objects.set(name, { bytes, metadata: stored });
        return json(200, stored);
      }
      if (!object || object[1] !== BUCKET) return json(400, { error: { code: 400, message: 'Bad request' } });
      const name = decodeURIComponent(object[2]!);
      const found = objects.get(name);
      if (req.method === 'DELETE') {
        if (!found) return missing();
        objects.delete(name);
        res.writeHead(204).end();
        return;
      }
      if (!found) return missing();
      if (url.searchParams.get('alt') === 'media') {
        res.writeHead(200, { 'content-type': String(found.metadata.contentType) });
        return res.end(found.bytes);
      }
      return json(200, found.metadata);
    });
  });
  return { server, objects, requests };
}

describe('the Cloud Storage adapter reads, sizes, writes and removes objects', () => {
  const api = fakeJsonApi();
  let storage: MediaStorage;
  beforeAll(async () => {
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    const { port } = api.server.address() as AddressInfo;
    storage = createGcsStorage({
      storage: new Storage({
        projectId: 'moim-test',
        apiEndpoint: `http://127.0.0.1:${port}`,
        retryOptions: { autoRetry: false },
      }),
      bucket: BUCKET,
    });
  });
  afterAll(() => new Promise<void>((resolve) => (api.server as Server).close(() => resolve())));

  it('round-trips bytes with their type and cache headers; a missing object is null', async () => {
    const id = randomUUID();
    const bytes = Buffer.from('not really a webp, but bytes all the same');
    expect(await storage.read(`media/${id}/thumb.webp`)).toBeNull();
    expect(await storage.size(`media/${id}/thumb.webp`)).toBeNull();

    await storage.write(`media/${id}/thumb.webp`, bytes, 'image/webp');
    expect(api.objects.get(`media/${id}/thumb.webp`)?.metadata).toMatchObject({
      contentType: 'image/webp',
      cacheControl: IMMUTABLE,
    });
    expect((await storage.read(`media/${id}/thumb.webp`))?.equals(bytes)).toBe(true);
    expect(await storage.size(`media/${id}/thumb.webp`)).toBe(bytes.length);

    await storage.write(`uploads/${id}`, bytes, 'image/jpeg');
    expect(api.objects.get(`uploads/${id}`)?.metadata).toMatchObject({ cacheControl: 'private, no-store' });

    // Missing ones are fine.
    await storage.remove([`media/${id}/thumb.webp`, `uploads/${id}`, `media/${id}/large.jpg`]);
    expect(api.objects.size).toBe(0);
    expect(await storage.read(`uploads/${id}`)).toBeNull();
  });

  it('never sends a request for a key that is not a media key', async () => {
    const before = api.requests.length;
    await expect(storage.read('../secrets')).rejects.toThrow(/Not a media key/);
    await expect(storage.write('uploads/../../x', Buffer.from('x'), 'image/png')).rejects.toThrow(
      /Not a media key/,
    );
    await expect(storage.remove(['media/x/thumb.webp'])).rejects.toThrow(/Not a media key/);
    expect(api.requests.length).toBe(before);
  });
});

describe('createStorage', () => {
  const base = {
    INTERNAL_SECRET: 'test-internal-secret-0123456789abcdef',
    MOIM_BACKEND: 'embedded',
    LOG_LEVEL: 'silent',
  };
  const logger = createLogger('media-test', 'silent');

  it('picks the bucket with MEDIA_STORAGE=gcs, signing with the key file of GOOGLE_APPLICATION_CREDENTIALS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'moim-gcs-'));
    try {
      const keyFile = join(dir, 'key.json');
      writeFileSync(
        keyFile,
        JSON.stringify({
          type: 'service_account',
          project_id: 'moim-test',
          client_email: CLIENT_EMAIL,
          private_key: account.privateKey,
        }),
      );
      const storage = createStorage(
        loadMediaEnv({
          ...base,
          MEDIA_STORAGE: 'gcs',
          GCS_BUCKET: BUCKET,
          GCS_PUBLIC_BASE_URL: 'https://cdn.moim.example',
          GOOGLE_APPLICATION_CREDENTIALS: keyFile,
        }),
        logger,
      );
      expect(storage.name).toBe('gcs');
      const id = randomUUID();
      const target = await storage.uploadTarget(`uploads/${id}`, {
        contentType: 'image/png',
        byteSize: 5,
        expiresAt: new Date(Date.now() + 60_000),
      });
      const url = new URL(target.url);
      expect(url.pathname).toBe(`/${BUCKET}/uploads/${id}`);
      expect(verifiesV4('PUT', url, target.headers, account.publicKey)).toBe(true);
      expect(storage.publicUrl(`media/${id}/medium.avif`)).toBe(
        `https://cdn.moim.example/media/${id}/medium.avif`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses MEDIA_STORAGE=gcs without a bucket, and is local by default', () => {
    expect(() => loadMediaEnv({ ...base, MEDIA_STORAGE: 'gcs' })).toThrow(/GCS_BUCKET: Required/);
    expect(createStorage(loadMediaEnv(base), logger).name).toBe('local');
  });
});
