import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxEvent } from '@moim/kit';
import { eventually, TEST_SECRET } from '@moim/kit/testing';
import { MediaEntity, signedUploadUrl, uploadSigningKey, type MediaDeps } from '@moim/media';
import { codeOf, ok, startGraph, type Account, type Graph } from '../src';

let graph: Graph;
let alice: Account;
let bob: Account;
/** A small real image (M2's photographs replace it once they are in the repository). */
let png: Buffer;

beforeAll(async () => {
  graph = await startGraph();
  [alice, bob] = [await graph.person('alice'), await graph.person('bob')];
  png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();
});
afterAll(() => graph?.stop());

const media = () => graph.service<MediaDeps>('media').deps;
const mediaDir = () => media().config.MEDIA_DIR;
const publicUrl = () => media().config.MEDIA_PUBLIC_URL;
const row = (id: string) => media().db.dataSource.getRepository(MediaEntity).findOneBy({ id });
const uploadedFile = (id: string) => join(mediaDir(), 'uploads', id);
/** Whatever the upload left under uploads/: the file itself and any partial one beside it. */
const filesOf = (id: string) => {
  const dir = join(mediaDir(), 'uploads');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith(id)) : [];
};
const outboxRows = async (topic: string) =>
  (await media().db.dataSource.getRepository(OutboxEvent).findBy({ topic })).map((r) => ({
    ...r,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
  }));

interface Ticket {
  media: { id: string; state: string; purpose: string; url: string | null };
  uploadUrl: string;
  method: string;
  headers: Array<{ name: string; value: string }>;
  expiresAt: string;
}
const CREATE = `mutation($input: CreateUploadInput!) {
  createUpload(input: $input) {
    media { id state purpose url(variant: THUMB, format: WEBP) }
    uploadUrl method headers { name value } expiresAt
  }
}`;
const COMPLETE = 'mutation($id: ID!) { completeUpload(mediaId: $id) { id state } }';
const READ = `query($id: ID!) {
  media(id: $id) { id state purpose width height placeholder failureReason createdAt
    thumb: url(variant: THUMB, format: WEBP) large: url(variant: LARGE, format: JPEG) }
}`;

const createUpload = (token: string | undefined, input: Record<string, unknown>) =>
  graph.gql<{ createUpload: Ticket }>(CREATE, { input }, token);

async function ticketFor(token: string, bytes: Buffer = png, contentType = 'image/png'): Promise<Ticket> {
  return ok(await createUpload(token, { contentType, byteSize: bytes.length, purpose: 'REVIEW' }))
    .createUpload;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json: { error?: string; [k: string]: unknown } | null;
}

/**
 * One request with full control over what is sent: the raw path (never normalised), the headers
 * as given (no Content-Length unless given: then the body goes chunked), the body in chunks.
 */
function send(
  method: string,
  url: string,
  options: { path?: string; headers?: Record<string, string>; chunks?: Buffer[] } = {},
): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        method,
        path: options.path ?? `${target.pathname}${target.search}`,
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          let json = null;
          try {
            json = JSON.parse(body.toString('utf8'));
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

/** PUTs `bytes` to an upload URL as a client would (Content-Length and the ticket's headers). */
const put = (url: string, bytes: Buffer, headers: Record<string, string> = { 'content-type': 'image/png' }) =>
  send('PUT', url, { headers: { 'content-length': String(bytes.length), ...headers }, chunks: [bytes] });

const headersOf = (ticket: Ticket) => Object.fromEntries(ticket.headers.map((h) => [h.name, h.value]));

describe('an upload through the gateway: createUpload, PUT the bytes, completeUpload', () => {
  it('stores the exact bytes, marks them uploaded and queues one resize job', async () => {
    const before = Date.now();
    const ticket = await ticketFor(alice.token);
    const id = ticket.media.id;
    expect(ticket.media).toMatchObject({ state: 'PENDING', purpose: 'REVIEW', url: null });
    expect(ticket.method).toBe('PUT');
    expect(headersOf(ticket)).toEqual({ 'content-type': 'image/png' });
    // The URL reaches the running media service, signed for this media, size and type.
    const url = new URL(ticket.uploadUrl);
    expect(`${url.origin}`).toBe(publicUrl());
    expect(url.pathname).toBe(`/uploads/${id}`);
    expect(url.searchParams.get('size')).toBe(String(png.length));
    expect(url.searchParams.get('type')).toBe('image/png');
    const expiresAt = new Date(ticket.expiresAt).getTime();
    expect(expiresAt).toBe(Number(url.searchParams.get('expires')));
    expect(expiresAt).toBeGreaterThanOrEqual(before + 900_000 - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 900_000);

    // The row and its media.created event, in one transaction.
    expect(await row(id)).toMatchObject({
      ownerId: alice.id,
      state: 'PENDING',
      contentType: 'image/png',
      byteSize: png.length,
      uploadedAt: null,
    });
    expect((await outboxRows('media.created')).filter((r) => r.payload.mediaId === id)).toEqual([
      expect.objectContaining({ payload: { mediaId: id, ownerId: alice.id, purpose: 'REVIEW' } }),
    ]);

    const stored = await put(ticket.uploadUrl, png, headersOf(ticket));
    expect(stored.status).toBe(200);
    expect(stored.json).toEqual({ mediaId: id, byteSize: png.length });
    expect(readFileSync(uploadedFile(id)).equals(png)).toBe(true);
    expect(filesOf(id)).toEqual([id]);
    expect((await row(id))!.uploadedAt).toBeInstanceOf(Date);

    const completed = ok(
      await graph.gql<{ completeUpload: { id: string; state: string } }>(COMPLETE, { id }, alice.token),
    );
    expect(completed.completeUpload).toEqual({ id, state: 'PROCESSING' });
    // Completing again changes nothing and queues nothing more.
    const again = ok(await graph.gql<{ completeUpload: { state: string } }>(COMPLETE, { id }, alice.token));
    expect(['PROCESSING', 'READY']).toContain(again.completeUpload.state);
    const jobs = (await outboxRows('job:image-resize:resize')).filter(
      (r) => (r.payload as { data: { mediaId: string } }).data.mediaId === id,
    );
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.payload).toMatchObject({ id: `resize-${id}`, data: { mediaId: id } });
  });

  it('lets anyone read a media by id, with URLs only once READY, and serves its variants from media', async () => {
    const ticket = await ticketFor(alice.token);
    const id = ticket.media.id;
    for (const token of [bob.token, undefined]) {
      const read = ok(await graph.gql<{ media: Record<string, unknown> }>(READ, { id }, token));
      expect(read.media).toMatchObject({ id, state: 'PENDING', purpose: 'REVIEW', thumb: null, large: null });
    }
    expect(ok(await graph.gql(READ, { id: randomUUID() }, bob.token))).toEqual({ media: null });
    expect(codeOf(await graph.gql(READ, { id: 'not-an-id' }, bob.token))).toBe('BAD_USER_INPUT');

    // What the resize worker leaves behind (M2): variants in storage and the row READY.
    const webp = await sharp(png).webp().toBuffer();
    await media().storage.write(`media/${id}/thumb.webp`, webp, 'image/webp');
    await media()
      .db.dataSource.getRepository(MediaEntity)
      .update({ id }, { state: 'READY', width: 64, height: 48, placeholder: 'data:image/webp;base64,AAAA' });
    const read = ok(await graph.gql<{ media: Record<string, unknown> }>(READ, { id }, bob.token));
    expect(read.media).toMatchObject({
      state: 'READY',
      width: 64,
      height: 48,
      placeholder: 'data:image/webp;base64,AAAA',
      failureReason: null,
      thumb: `${publicUrl()}/media/${id}/thumb.webp`,
      large: `${publicUrl()}/media/${id}/large.jpg`,
    });

    const served = await send('GET', read.media.thumb as string);
    expect(served.status).toBe(200);
    expect(served.headers['content-type']).toBe('image/webp');
    expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(served.body.equals(webp)).toBe(true);
    const head = await send('HEAD', read.media.thumb as string);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(webp.length));
    expect(head.body).toHaveLength(0);
    // Not stored (yet): 404, whatever the state says.
    expect((await send('GET', read.media.large as string)).status).toBe(404);
  });

  it('batches the media of one request into one query', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await ticketFor(alice.token)).media.id);
    const db = media().db;
    const before = db.queryCount();
    const res = await graph.gql(
      `query($a: ID!, $b: ID!, $c: ID!) { a: media(id: $a) { id } b: media(id: $b) { id } c: media(id: $c) { id } }`,
      { a: ids[0], b: ids[1], c: ids[2] },
      bob.token,
    );
    expect(ok(res)).toEqual({ a: { id: ids[0] }, b: { id: ids[1] }, c: { id: ids[2] } });
    expect(db.queryCount() - before).toBe(1);
  });
});

describe('createUpload refuses what it cannot take, and creates nothing then', () => {
  const ownedBy = async (userId: string) =>
    media().db.dataSource.getRepository(MediaEntity).countBy({ ownerId: userId });

  it.each([
    [{ contentType: 'text/plain', byteSize: 100 }, 'contentType', /contentType must be one of image\/jpeg/],
    [{ contentType: 'image/svg+xml', byteSize: 100 }, 'contentType', /contentType must be one of/],
    [{ contentType: 'image/png', byteSize: 0 }, 'byteSize', /at least 1/],
    [{ contentType: 'image/png', byteSize: -5 }, 'byteSize', /at least 1/],
    [
      { contentType: 'image/png', byteSize: 20 * 1024 * 1024 + 1 },
      'byteSize',
      /too large: at most 20971520 bytes/,
    ],
  ])('%j: BAD_USER_INPUT on %s', async (input, field, message) => {
    const person = await graph.person('refused');
    const res = await createUpload(person.token, { ...input, purpose: 'POST' });
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field } });
    expect(res.errors?.[0]?.message).toMatch(message);
    expect(await ownedBy(person.id)).toBe(0);
  });

  it('takes the largest size allowed, and the declared type in any case', async () => {
    const res = await createUpload(alice.token, {
      contentType: 'IMAGE/JPEG',
      byteSize: 20 * 1024 * 1024,
      purpose: 'AVATAR',
    });
    const ticket = ok(res).createUpload;
    expect(new URL(ticket.uploadUrl).searchParams.get('type')).toBe('image/jpeg');
    expect(await row(ticket.media.id)).toMatchObject({
      contentType: 'image/jpeg',
      byteSize: 20 * 1024 * 1024,
    });
  });

  it('needs someone logged in', async () => {
    const res = await createUpload(undefined, { contentType: 'image/png', byteSize: 10, purpose: 'REVIEW' });
    expect(codeOf(res)).toBe('UNAUTHENTICATED');
  });

  it('limits uploads per user: the 61st in an hour is RATE_LIMITED, others are not', async () => {
    const person = await graph.person('uploader');
    const input = { contentType: 'image/png', byteSize: 10, purpose: 'CHAT' };
    for (let i = 0; i < 60; i++) ok(await createUpload(person.token, input));
    const refused = await createUpload(person.token, input);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(await ownedBy(person.id)).toBe(60);
    ok(await createUpload(bob.token, input));
  });
});

describe('PUT /uploads/<id> refuses a bad upload and leaves no file', () => {
  const key = () => uploadSigningKey(TEST_SECRET);

  async function expectNothingStored(id: string) {
    expect(filesOf(id)).toEqual([]);
    expect(await row(id)).toMatchObject({ state: 'PENDING', uploadedAt: null });
  }

  it('an expired URL: 410', async () => {
    const { media: m } = await ticketFor(alice.token);
    const url = signedUploadUrl(publicUrl(), key(), {
      mediaId: m.id,
      expiresAt: Date.now() - 1000,
      byteSize: png.length,
      contentType: 'image/png',
    });
    const res = await put(url, png);
    expect(res.status).toBe(410);
    expect(res.json?.error).toMatch(/expired/);
    await expectNothingStored(m.id);
  });

  it('a tampered URL (size, type, expiry, id, signature) or one signed with another key: 403', async () => {
    const ticket = await ticketFor(alice.token);
    const id = ticket.media.id;
    const other = await ticketFor(alice.token);
    const tampered = (change: (url: URL) => void) => {
      const url = new URL(ticket.uploadUrl);
      change(url);
      return url.toString();
    };
    const forged = signedUploadUrl(publicUrl(), uploadSigningKey('another-secret-0123456789abcdef0123'), {
      mediaId: id,
      expiresAt: Date.now() + 60_000,
      byteSize: png.length,
      contentType: 'image/png',
    });
    const urls = [
      tampered((u) => u.searchParams.set('size', String(png.length + 1))),
      tampered((u) => u.searchParams.set('type', 'image/jpeg')),
      tampered((u) => u.searchParams.set('expires', String(Date.now() + 86_400_000))),
      tampered((u) => (u.pathname = `/uploads/${other.media.id}`)),
      tampered((u) =>
        u.searchParams.set(
          'sig',
          u.searchParams.get('sig')!.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
        ),
      ),
      tampered((u) => u.searchParams.set('sig', 'abc')),
      tampered((u) => u.searchParams.delete('sig')),
      forged,
    ];
    for (const url of urls) {
      const res = await put(url, png);
      expect(res.status, url).toBe(403);
      expect(res.json?.error).toMatch(/not valid|incomplete/);
    }
    await expectNothingStored(id);
    await expectNothingStored(other.media.id);
    // The real one still works.
    expect((await put(ticket.uploadUrl, png)).status).toBe(200);
  });

  it('a Content-Type other than the signed one: 400', async () => {
    const ticket = await ticketFor(alice.token);
    const choices: Array<Record<string, string>> = [
      { 'content-type': 'image/jpeg' },
      { 'content-type': 'text/plain' },
      { 'content-type': 'image/png-but-not' },
      {},
    ];
    for (const headers of choices) {
      const res = await put(ticket.uploadUrl, png, headers);
      expect(res.status).toBe(400);
      expect(res.json?.error).toMatch(/Content-Type must be image\/png/);
    }
    await expectNothingStored(ticket.media.id);
  });

  it('a Content-Length other than the signed size: 413 when larger, 400 when smaller', async () => {
    const ticket = await ticketFor(alice.token);
    const longer = Buffer.concat([png, Buffer.from('and then some')]);
    const tooLong = await put(ticket.uploadUrl, longer);
    expect(tooLong.status).toBe(413);
    expect(tooLong.json?.error).toMatch(new RegExp(`larger than the ${png.length} bytes`));
    const tooShort = await put(ticket.uploadUrl, png.subarray(0, png.length - 10));
    expect(tooShort.status).toBe(400);
    expect(tooShort.json?.error).toMatch(new RegExp(`smaller than the ${png.length} bytes`));
    await expectNothingStored(ticket.media.id);
  });

  it('a streamed (chunked) body longer or shorter than signed: 413 or 400, stopping at the limit', async () => {
    const ticket = await ticketFor(alice.token);
    const headers = { 'content-type': 'image/png' };
    const longer = await send('PUT', ticket.uploadUrl, {
      headers,
      chunks: [png, Buffer.alloc(64 * 1024, 1), Buffer.alloc(64 * 1024, 2)],
    });
    expect(longer.status).toBe(413);
    expect(longer.json?.error).toMatch(/larger than/);
    const shorter = await send('PUT', ticket.uploadUrl, { headers, chunks: [png.subarray(0, 20)] });
    expect(shorter.status).toBe(400);
    expect(shorter.json?.error).toMatch(/smaller than .* \(20 arrived\)/);
    await expectNothingStored(ticket.media.id);
    // Whole, in chunks: taken.
    const whole = await send('PUT', ticket.uploadUrl, {
      headers,
      chunks: [png.subarray(0, 100), png.subarray(100)],
    });
    expect(whole.status).toBe(200);
    expect(readFileSync(uploadedFile(ticket.media.id)).equals(png)).toBe(true);
  });

  it('a URL used already: 409, and the bytes first uploaded stay', async () => {
    const ticket = await ticketFor(alice.token);
    expect((await put(ticket.uploadUrl, png)).status).toBe(200);
    const uploadedAt = (await row(ticket.media.id))!.uploadedAt;
    const other = Buffer.from(png).fill(7, 100, 200);
    const reused = await put(ticket.uploadUrl, other);
    expect(reused.status).toBe(409);
    expect(reused.json?.error).toMatch(/already used/);
    expect(readFileSync(uploadedFile(ticket.media.id)).equals(png)).toBe(true);
    expect(filesOf(ticket.media.id)).toEqual([ticket.media.id]);
    expect((await row(ticket.media.id))!.uploadedAt).toEqual(uploadedAt);
  });

  it('two PUTs of one URL at once: one is stored, the other is 409', async () => {
    const ticket = await ticketFor(alice.token);
    const results = await Promise.all([put(ticket.uploadUrl, png), put(ticket.uploadUrl, png)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(filesOf(ticket.media.id)).toEqual([ticket.media.id]);
  });

  it('takes one PUT of a URL at a time: while one is receiving, others are refused unread, and nothing is left', async () => {
    const ticket = await ticketFor(alice.token);
    const target = new URL(ticket.uploadUrl);
    // A slow client: half of the bytes, then nothing.
    const slow = request({
      host: target.hostname,
      port: target.port,
      method: 'PUT',
      path: `${target.pathname}${target.search}`,
      headers: { 'content-type': 'image/png', 'content-length': String(png.length) },
      agent: false,
    });
    slow.on('error', () => {});
    slow.write(png.subarray(0, Math.floor(png.length / 2)));
    await eventually(() => filesOf(ticket.media.id).length === 1, 5000);
    const others = await Promise.all([1, 2, 3].map(() => put(ticket.uploadUrl, png)));
    expect(others.map((r) => r.status)).toEqual([409, 409, 409]);
    expect(others[0]!.json).toEqual({ error: 'These bytes are being uploaded by another request' });
    expect(filesOf(ticket.media.id)).toHaveLength(1); // the slow one's receiving file alone
    slow.destroy();
    await eventually(() => filesOf(ticket.media.id).length === 0, 5000);
    // The URL works again for a whole upload.
    expect((await put(ticket.uploadUrl, png)).status).toBe(200);
    expect(filesOf(ticket.media.id)).toEqual([ticket.media.id]);
  });

  it('a signed URL of a media that is not there (removed): 404', async () => {
    const id = randomUUID();
    const url = signedUploadUrl(publicUrl(), key(), {
      mediaId: id,
      expiresAt: Date.now() + 60_000,
      byteSize: png.length,
      contentType: 'image/png',
    });
    const res = await put(url, png);
    expect(res.status).toBe(404);
    expect(filesOf(id)).toEqual([]);
  });

  it('other methods and paths: 405 and 404', async () => {
    const ticket = await ticketFor(alice.token);
    expect((await send('GET', ticket.uploadUrl)).status).toBe(405);
    expect((await send('POST', ticket.uploadUrl, { chunks: [png] })).status).toBe(405);
    const url = new URL(ticket.uploadUrl);
    for (const path of [
      `/uploads/${ticket.media.id}/..${url.search}`,
      `/uploads/..%2f${ticket.media.id}${url.search}`,
      `/uploads/${ticket.media.id.toUpperCase()}${url.search}`,
    ]) {
      const res = await send('PUT', ticket.uploadUrl, {
        path,
        headers: { 'content-type': 'image/png' },
        chunks: [png],
      });
      expect(res.status, path).toBe(404);
    }
    await expectNothingStored(ticket.media.id);
  });
});

describe('completeUpload', () => {
  it('before the bytes: BAD_USER_INPUT, still PENDING, no job', async () => {
    const ticket = await ticketFor(alice.token);
    const res = await graph.gql(COMPLETE, { id: ticket.media.id }, alice.token);
    expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'mediaId' } });
    expect(res.errors?.[0]?.message).toMatch(/upload the bytes first/);
    expect(await row(ticket.media.id)).toMatchObject({ state: 'PENDING' });
    expect(
      (await outboxRows('job:image-resize:resize')).filter(
        (r) => (r.payload as { data: { mediaId: string } }).data.mediaId === ticket.media.id,
      ),
    ).toEqual([]);
  });

  it("of someone else's media: FORBIDDEN, and nothing changes", async () => {
    const ticket = await ticketFor(alice.token);
    expect((await put(ticket.uploadUrl, png)).status).toBe(200);
    const res = await graph.gql(COMPLETE, { id: ticket.media.id }, bob.token);
    expect(codeOf(res)).toBe('FORBIDDEN');
    expect(await row(ticket.media.id)).toMatchObject({ state: 'PENDING', ownerId: alice.id });
    expect(
      (await outboxRows('job:image-resize:resize')).filter(
        (r) => (r.payload as { data: { mediaId: string } }).data.mediaId === ticket.media.id,
      ),
    ).toEqual([]);
    // Its owner still can.
    const done = ok(
      await graph.gql<{ completeUpload: { state: string } }>(COMPLETE, { id: ticket.media.id }, alice.token),
    );
    expect(done.completeUpload.state).toBe('PROCESSING');
    // And someone else still cannot, now that it is past PENDING.
    expect(codeOf(await graph.gql(COMPLETE, { id: ticket.media.id }, bob.token))).toBe('FORBIDDEN');
  });

  it('unknown, malformed, logged out: NOT_FOUND, BAD_USER_INPUT, UNAUTHENTICATED', async () => {
    expect(codeOf(await graph.gql(COMPLETE, { id: randomUUID() }, alice.token))).toBe('NOT_FOUND');
    expect(codeOf(await graph.gql(COMPLETE, { id: 'nope' }, alice.token))).toBe('BAD_USER_INPUT');
    const ticket = await ticketFor(alice.token);
    expect(codeOf(await graph.gql(COMPLETE, { id: ticket.media.id }))).toBe('UNAUTHENTICATED');
  });
});

describe('GET /media/… serves variants only: no path reaches another file', () => {
  it.each([
    '/media/../../etc/passwd',
    '/media/..%2f..%2fetc%2fpasswd',
    '/media/%2e%2e/%2e%2e/etc/passwd',
    '/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/media/ID/..%2f..%2f..%2fetc%2fpasswd',
    '/media/ID%2fthumb.webp',
    '/media/ID/thumb.webp/..',
    '/media/ID/../ID/thumb.webp',
    '/media/ID/./thumb.webp',
    '/media/ID//thumb.webp',
    '/media/ID/thumb.webp%00.jpg',
    '/media/ID/huge.webp',
    '/media/ID/thumb.png',
    '/media/ID/THUMB.webp',
    '/media/ID/thumb.webp.partial',
    '/media/ID',
    '/media/',
    '/uploads/ID',
  ])('%s: 404', async (template) => {
    const ticket = await ticketFor(alice.token);
    const id = ticket.media.id;
    // A variant that does exist, so a path that resolved to it would show.
    await media().storage.write(`media/${id}/thumb.webp`, await sharp(png).webp().toBuffer(), 'image/webp');
    expect((await send('GET', `${publicUrl()}/media/${id}/thumb.webp`)).status).toBe(200);
    const res = await send('GET', publicUrl(), { path: template.replaceAll('ID', id) });
    expect([404, 405]).toContain(res.status);
    if (template.startsWith('/media/')) expect(res.status).toBe(404);
    expect(res.body.toString()).not.toMatch(/root:|RIFF/);
  });
});
