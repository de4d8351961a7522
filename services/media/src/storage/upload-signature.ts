import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed upload URLs of the local adapter: `<base>/uploads/<id>?expires=<ms>&size=<n>&type=<ct>&sig=<hmac>`.
 * The signature (HMAC-SHA256, with a key derived from INTERNAL_SECRET and used for nothing else)
 * covers the media id, the expiry, the exact size and the content type, so none of them can be
 * changed without the URL being refused.
 */
export interface SignedUpload {
  mediaId: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  byteSize: number;
  contentType: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DIGITS = /^[0-9]{1,15}$/;
const SIGNATURE = /^[0-9a-f]{64}$/;

/** The key upload URLs are signed with: derived, so INTERNAL_SECRET itself never signs a URL. */
export const uploadSigningKey = (internalSecret: string): Buffer =>
  createHmac('sha256', internalSecret).update('media-upload').digest();

/** Every field on a line of its own; the id and numbers cannot hold a newline, and the type is last. */
export function uploadSignature(key: Buffer, upload: SignedUpload): string {
  return createHmac('sha256', key)
    .update(`${upload.mediaId}\n${upload.expiresAt}\n${upload.byteSize}\n${upload.contentType}`)
    .digest('hex');
}

/** The URL a client PUTs the bytes of `upload` to. */
export function signedUploadUrl(baseUrl: string, key: Buffer, upload: SignedUpload): string {
  const query = new URLSearchParams({
    expires: String(upload.expiresAt),
    size: String(upload.byteSize),
    type: upload.contentType,
    sig: uploadSignature(key, upload),
  });
  return `${baseUrl}/uploads/${upload.mediaId}?${query}`;
}

export type UploadCheck =
  { ok: true; upload: SignedUpload } | { ok: false; status: 403 | 410; error: string };

/**
 * Checks an upload URL's query for the media `mediaId`: signed by `key` (compared in constant
 * time), then not expired at `now`. A tampered URL is refused whatever its expiry says.
 */
export function verifyUpload(
  key: Buffer,
  mediaId: string,
  query: URLSearchParams,
  now: number = Date.now(),
): UploadCheck {
  const expires = query.get('expires') ?? '';
  const size = query.get('size') ?? '';
  const contentType = query.get('type') ?? '';
  const sig = query.get('sig') ?? '';
  if (!UUID.test(mediaId) || !DIGITS.test(expires) || !DIGITS.test(size) || !contentType || !sig)
    return { ok: false, status: 403, error: 'This upload URL is incomplete: ask createUpload for a new one' };
  const upload: SignedUpload = {
    mediaId,
    expiresAt: Number(expires),
    byteSize: Number(size),
    contentType,
  };
  const expected = Buffer.from(uploadSignature(key, upload), 'hex');
  const given = SIGNATURE.test(sig) ? Buffer.from(sig, 'hex') : Buffer.alloc(expected.length);
  // Always compared, malformed or not, so the answer takes as long either way.
  const matches = timingSafeEqual(expected, given) && SIGNATURE.test(sig);
  if (!matches)
    return { ok: false, status: 403, error: 'This upload URL is not valid: its signature does not match' };
  if (upload.expiresAt <= now)
    return { ok: false, status: 410, error: 'This upload URL has expired: ask createUpload for a new one' };
  return { ok: true, upload };
}
