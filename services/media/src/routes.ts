import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished, pipeline } from 'node:stream/promises';
import { lockRows, type HttpRoute } from '@moim/kit';
import type { MediaDeps } from './domain/context';
import { MediaEntity } from './entities';
import { isLocalStorage, type LocalStorage } from './storage';
import { uploadKey } from './storage/storage.port';
import { uploadSigningKey, verifyUpload, type SignedUpload } from './storage/upload-signature';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
/** The raw path, not decoded: `%2e%2e`, `%2f` and `..` never match. */
const UPLOAD_PATH = new RegExp(`^/uploads/(${UUID})$`);
const FILE_PATH = new RegExp(`^/media/(${UUID})/(thumb|medium|large)\\.(webp|avif|jpg)$`);

const CONTENT_TYPES: Record<string, string> = { webp: 'image/webp', avif: 'image/avif', jpg: 'image/jpeg' };
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * After refusing a body, how much more of it is read (and dropped) before answering, so the
 * client reads the refusal instead of a reset: up to this many bytes, for up to this long. Beyond
 * either bound the connection is closed without waiting for the rest (as the kit does for GraphQL).
 */
/** A PUT that sends nothing for this long is cut off (and its receiving file removed). */
const UPLOAD_IDLE_MS = 30_000;
const DRAIN_BYTES = 1_000_000;
const DRAIN_MS = 2_000;

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** What could be read of the body was read already: answer at once. */
    readonly drained = false,
  ) {
    super(message);
  }
}

function answer(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}) {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * Answers a request whose body is not wanted: what is left of it is read and dropped (bounded,
 * see DRAIN_BYTES) first, and the connection closes after the answer, so an unread body never
 * holds up the connection's next request.
 */
function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  error: string,
  drained = false,
): Promise<void> {
  return new Promise((resolve) => {
    let dropped = 0;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData).off('end', finish).off('close', finish);
      answer(res, status, { error }, { connection: 'close' });
      resolve();
    };
    const onData = (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > DRAIN_BYTES) finish();
    };
    const timer = setTimeout(finish, DRAIN_MS);
    if (drained || req.complete || req.destroyed) return finish();
    req.on('error', () => {});
    req.on('data', onData).on('end', finish).on('close', finish).resume();
  });
}

/** The media type of a Content-Type header, without parameters, lowercase. */
const mediaTypeOf = (header: string | undefined) => (header ?? '').split(';')[0]!.trim().toLowerCase();

function closed(out: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (out.closed) return resolve();
    out.once('close', () => resolve());
    out.destroy();
  });
}

/**
 * Streams the body into `path` (a new file), never more than `limit` bytes: resolves to the size
 * received. A body over `limit` is refused with 413 after dropping a bounded rest of it; one cut
 * off halfway with 400. The file is closed when this settles, whatever happened.
 */
function receiveBody(req: IncomingMessage, path: string, limit: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // The caller created the file (its claim on the upload): it is written from the start.
    const out = createWriteStream(path, { flags: 'w' });
    let size = 0;
    let tooLarge = false;
    let settled = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(drainTimer);
      req.off('data', onData).off('end', onEnd).off('close', onClose);
      if (error) {
        req.on('error', () => {}).resume();
        void closed(out).then(() => reject(error));
      } else {
        // A write that fails at the end (a full disk) refuses the upload instead of storing half of it.
        out.end();
        finished(out).then(() => resolve(size), reject);
      }
    };
    const tooLargeError = () =>
      new Refusal(413, `The body is larger than the ${limit} bytes declared in createUpload`, true);
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) {
        if (size > limit + DRAIN_BYTES) settle(tooLargeError());
        return;
      }
      if (size > limit) {
        // Stop writing at once; read a bounded rest so the client hears the 413.
        tooLarge = true;
        drainTimer = setTimeout(() => settle(tooLargeError()), DRAIN_MS);
        return;
      }
      if (!out.write(chunk)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    };
    const onEnd = () => settle(tooLarge ? tooLargeError() : undefined);
    const onClose = () => {
      if (!req.complete)
        settle(new Refusal(400, 'The upload was interrupted before the end of its body', true));
    };
    out.on('error', (err) => settle(err));
    req.on('error', () => {});
    req.on('data', onData).on('end', onEnd).on('close', onClose);
  });
}

/**
 * `PUT /uploads/<id>?expires=&size=&type=&sig=`: the bytes of a PENDING media, once, as signed by
 * createUpload. Checked before anything is read: the signature (tampered: 403), the expiry (410),
 * the Content-Type (400) and Content-Length (413 or 400) against what was signed, and that the
 * URL was not used yet (409). The body is streamed to a new file beside the key, never more than
 * the signed size, and renamed into place in the transaction that marks the media uploaded; a
 * refused or interrupted upload leaves no file behind.
 */
async function receiveUpload(
  deps: MediaDeps,
  storage: LocalStorage,
  signingKey: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const mediaId = UPLOAD_PATH.exec(url.pathname)?.[1];
  if (!mediaId) return refuse(req, res, 404, 'No such upload');
  const check = verifyUpload(signingKey, mediaId, url.searchParams);
  if (!check.ok) return refuse(req, res, check.status, check.error);
  const upload: SignedUpload = check.upload;

  const type = mediaTypeOf(req.headers['content-type']);
  if (type !== upload.contentType)
    return refuse(
      req,
      res,
      400,
      `Content-Type must be ${upload.contentType}, as declared in createUpload (got ${type || 'none'})`,
    );
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) !== upload.byteSize)
    return Number(declared) > upload.byteSize
      ? refuse(req, res, 413, `The body is larger than the ${upload.byteSize} bytes declared in createUpload`)
      : refuse(
          req,
          res,
          400,
          `The body is smaller than the ${upload.byteSize} bytes declared in createUpload`,
        );

  const media = await deps.db.dataSource.getRepository(MediaEntity).findOneBy({ id: mediaId });
  if (!media) return refuse(req, res, 404, 'No such upload: it was removed, ask createUpload for a new one');
  if (media.state !== 'PENDING' || media.uploadedAt)
    return refuse(req, res, 409, 'This upload URL was already used: the bytes are uploaded');

  const key = uploadKey(mediaId);
  const partial = await storage.receivingPath(key);
  // One PUT at a time per upload: the first creates the receiving file, the others are refused
  // before they are read, so one signed URL cannot fill the disk through many connections.
  try {
    await (await open(partial, 'wx')).close();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return refuse(req, res, 409, 'These bytes are being uploaded by another request');
  }
  // A client that stops sending gives the file back: no request holds it for Node's 5 minutes.
  req.setTimeout(UPLOAD_IDLE_MS, () => req.destroy(new Error('upload idle')));
  try {
    const size = await receiveBody(req, partial, upload.byteSize);
    if (size !== upload.byteSize)
      throw new Refusal(
        400,
        `The body is smaller than the ${upload.byteSize} bytes declared in createUpload (${size} arrived)`,
      );
    let renamed = false;
    const stored = await deps.db
      .transaction(async (manager) => {
        // Two PUTs of one URL at once: the second waits here, then finds the bytes uploaded.
        await lockRows(manager, MediaEntity, { id: mediaId });
        const current = await manager.findOneBy(MediaEntity, { id: mediaId });
        if (!current || current.state !== 'PENDING' || current.uploadedAt) return false;
        await storage.commit(partial, key);
        renamed = true;
        const now = new Date();
        await manager.update(MediaEntity, { id: mediaId }, { uploadedAt: now, updatedAt: now });
        return true;
      })
      .catch(async (err: unknown) => {
        // The bytes are in place but the media does not say so: take them back.
        if (renamed) await storage.remove([key]);
        throw err;
      });
    if (!stored) throw new Refusal(409, 'This upload URL was already used: the bytes are uploaded');
    answer(res, 200, { mediaId, byteSize: size });
  } catch (err) {
    // Gone before the answer: a client that hears the refusal finds nothing left behind.
    await rm(partial, { force: true });
    if (!(err instanceof Refusal)) throw err;
    await refuse(req, res, err.status, err.message, err.drained);
  }
}

/**
 * `GET /media/<id>/<variant>.<ext>`: a stored variant, with its content type and immutable cache
 * headers. Only paths of exactly that shape name a file (the raw path is matched, so `..` and
 * encoded separators are 404s, never a file elsewhere).
 */
async function serveFile(storage: LocalStorage, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const match = FILE_PATH.exec(path);
  if (!match) return answer(res, 404, { error: 'Not found' });
  const [, id, variant, ext] = match;
  const file = storage.pathOf(`media/${id}/${variant}.${ext}`);
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) return answer(res, 404, { error: 'Not found' });
    size = info.size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return answer(res, 404, { error: 'Not found' });
    throw err;
  }
  res.writeHead(200, {
    'content-type': CONTENT_TYPES[ext!]!,
    'content-length': String(size),
    'cache-control': IMMUTABLE,
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') return void res.end();
  await pipeline(createReadStream(file), res);
}

/**
 * Media's own routes, for the local adapter only (with a bucket, clients upload to and fetch from
 * the bucket): uploads in, variants out.
 */
export function mediaRoutes(deps: MediaDeps): HttpRoute[] {
  const storage = deps.storage;
  if (!isLocalStorage(storage)) return [];
  const signingKey = uploadSigningKey(deps.config.INTERNAL_SECRET);
  return [
    {
      name: 'upload',
      prefix: '/uploads/',
      methods: ['PUT'],
      handle: (req, res) => receiveUpload(deps, storage, signingKey, req, res),
    },
    {
      name: 'media-file',
      prefix: '/media/',
      methods: ['GET', 'HEAD'],
      handle: (req, res) => serveFile(storage, req, res),
    },
  ];
}
