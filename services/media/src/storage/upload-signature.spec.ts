import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signedUploadUrl, uploadSignature, uploadSigningKey, verifyUpload } from './upload-signature';

const key = uploadSigningKey('test-internal-secret-0123456789abcdef');
const now = Date.parse('2026-11-27T12:00:00Z');

function ticket(overrides: Partial<{ expiresAt: number; byteSize: number; contentType: string }> = {}) {
  const upload = {
    mediaId: randomUUID(),
    expiresAt: now + 900_000,
    byteSize: 4242,
    contentType: 'image/png',
    ...overrides,
  };
  return { upload, url: new URL(signedUploadUrl('http://media.local:4003', key, upload)) };
}

describe('signed upload URLs of the local adapter', () => {
  it('name the media, expiry, size and type, and verify until they expire', () => {
    const { upload, url } = ticket();
    expect(url.origin).toBe('http://media.local:4003');
    expect(url.pathname).toBe(`/uploads/${upload.mediaId}`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      expires: String(upload.expiresAt),
      size: '4242',
      type: 'image/png',
      sig: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(verifyUpload(key, upload.mediaId, url.searchParams, now)).toEqual({ ok: true, upload });
    expect(verifyUpload(key, upload.mediaId, url.searchParams, upload.expiresAt - 1).ok).toBe(true);
    expect(verifyUpload(key, upload.mediaId, url.searchParams, upload.expiresAt)).toMatchObject({
      ok: false,
      status: 410,
      error: expect.stringMatching(/expired/),
    });
  });

  it.each([
    ['expires', (q: URLSearchParams) => q.set('expires', String(now + 9_000_000))],
    ['size', (q: URLSearchParams) => q.set('size', '4243')],
    ['type', (q: URLSearchParams) => q.set('type', 'image/jpeg')],
    [
      'sig (one digit)',
      (q: URLSearchParams) =>
        q.set(
          'sig',
          q.get('sig')!.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
        ),
    ],
    ['sig (uppercase)', (q: URLSearchParams) => q.set('sig', q.get('sig')!.toUpperCase())],
    ['sig (short)', (q: URLSearchParams) => q.set('sig', q.get('sig')!.slice(2))],
  ])('refuse a changed %s: 403', (_, change) => {
    const { upload, url } = ticket();
    change(url.searchParams);
    expect(verifyUpload(key, upload.mediaId, url.searchParams, now)).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuse another media, another key, and a tampered URL even once expired (403, not 410)', () => {
    const { upload, url } = ticket();
    expect(verifyUpload(key, randomUUID(), url.searchParams, now)).toMatchObject({ status: 403 });
    const other = uploadSigningKey('another-internal-secret-0123456789abcdef');
    expect(verifyUpload(other, upload.mediaId, url.searchParams, now)).toMatchObject({ status: 403 });
    url.searchParams.set('size', '1');
    expect(verifyUpload(key, upload.mediaId, url.searchParams, upload.expiresAt + 1)).toMatchObject({
      status: 403,
    });
  });

  it.each(['expires', 'size', 'type', 'sig'])('refuse a URL without %s: 403', (name) => {
    const { upload, url } = ticket();
    url.searchParams.delete(name);
    expect(verifyUpload(key, upload.mediaId, url.searchParams, now)).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuse malformed ids and numbers before computing anything', () => {
    const { upload, url } = ticket();
    expect(verifyUpload(key, upload.mediaId.toUpperCase(), url.searchParams, now)).toMatchObject({
      status: 403,
    });
    expect(verifyUpload(key, '../etc/passwd', url.searchParams, now)).toMatchObject({ status: 403 });
    url.searchParams.set('size', '-1');
    expect(verifyUpload(key, upload.mediaId, url.searchParams, now)).toMatchObject({ status: 403 });
  });

  it('use a key derived from INTERNAL_SECRET, never the secret itself', () => {
    const { upload } = ticket();
    const secret = 'test-internal-secret-0123456789abcdef';
    expect(uploadSigningKey(secret)).not.toEqual(Buffer.from(secret));
    expect(uploadSignature(key, upload)).not.toBe(uploadSignature(Buffer.from(secret), upload));
    expect(uploadSigningKey(secret)).toEqual(key);
  });
});
