import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLogger,
  OutboxEvent,
  openMysqlDatabase,
  recordJob,
  startService,
  type BackendKind,
  type Database,
} from '@moim/kit';
import { eventually, openTestBackend, startProcess, testEnv, type TestBackend } from '@moim/kit/testing';
import { MediaEntity, service, type Media, type MediaService, type MediaStorage } from '../src';
import { entities } from '../src/entities';
import { IMAGE_RESIZE_QUEUE, RESIZE_IMAGE, resizeProcessors } from '../src/resize/resize-job';
import { createLocalStorage } from '../src/storage/local-storage';
import { uploadKey } from '../src/storage/storage.port';
import { fixture, pngBomb, ROTATED, SMALL, truncated } from './fixtures/images';

// The resize job (src/resize) on both backends: the processor driven directly with media's own
// storage and database, and once through the queue. Then, on servers, a real worker process
// killed in the middle of a job.

const VARIANT_FILES = ['large', 'medium', 'thumb'].flatMap((v) =>
  ['avif', 'jpg', 'webp'].map((e) => `${v}.${e}`),
);
const FORMAT_OF = { avif: 'heif', jpg: 'jpeg', webp: 'webp' } as Record<string, string>;
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The files a media has on disk: its variants, and whether its original is still there. */
function filesOf(dir: string, id: string) {
  const variantsDir = join(dir, 'media', id);
  return {
    variants: existsSync(variantsDir) ? readdirSync(variantsDir).sort() : [],
    original: existsSync(join(dir, 'uploads', id)),
  };
}

/** A media row as completeUpload leaves it (PROCESSING), and its original in storage. */
async function uploaded(
  db: Database,
  storage: MediaStorage,
  bytes: Buffer,
  contentType = 'image/jpeg',
): Promise<Media> {
  const now = new Date();
  const media: Media = {
    id: randomUUID(),
    ownerId: randomUUID(),
    purpose: 'REVIEW',
    contentType,
    byteSize: bytes.length,
    state: 'PROCESSING',
    failureReason: null,
    width: null,
    height: null,
    placeholder: null,
    uploadedAt: now,
    attachedTo: null,
    detachedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await db.dataSource.getRepository(MediaEntity).insert(media);
  await storage.write(uploadKey(media.id), bytes, contentType);
  return media;
}

describe.each<BackendKind>(['servers', 'embedded'])('the resize job on the %s backend', (kind) => {
  let test: TestBackend;
  let media: MediaService;
  let dir: string;

  beforeAll(async () => {
    test = await openTestBackend(kind);
    dir = mkdtempSync(join(tmpdir(), 'moim-media-'));
    const config = service.loadEnv(
      testEnv({ ...test.env, DATABASE_URL: await test.databaseUrl('media'), MEDIA_DIR: dir }),
    );
    media = await startService(service.define(config), config, { backend: test.backend, role: 'worker' });
  });
  afterAll(async () => {
    await media?.stop();
    await test?.cleanUp();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One run of the job's processor, as the queue would make it (attempt `attemptsMade + 1`). */
  const run = (mediaId: string, options: { attemptsMade?: number; storage?: MediaStorage } = {}) => {
    const deps = options.storage ? { ...media.deps, storage: options.storage } : media.deps;
    const [resize] = resizeProcessors(deps);
    return resize!.run(
      { mediaId },
      { id: `resize-${mediaId}`, name: 'resize', data: { mediaId }, attemptsMade: options.attemptsMade ?? 0 },
    );
  };
  const upload = (bytes: Buffer, contentType?: string) =>
    uploaded(media.deps.db, media.deps.storage, bytes, contentType);
  const row = (id: string) => media.deps.db.dataSource.getRepository(MediaEntity).findOneByOrFail({ id });
  const failedEvents = (id: string) =>
    media.deps.db.dataSource
      .getRepository(OutboxEvent)
      .createQueryBuilder('o')
      .where('o.topic = :topic AND o.payload LIKE :id', { topic: 'media.failed', id: `%${id}%` })
      .getCount();
  /** The variants' bytes by file name. */
  const variantBytes = async (id: string) =>
    Object.fromEntries(
      await Promise.all(
        VARIANT_FILES.map(async (f) => [f, (await media.deps.storage.read(`media/${id}/${f}`))!] as const),
      ),
    );

  /** A storage whose writes fail from the `n`th on, as a bucket that went away mid-job. */
  const failingAfter = (n: number): MediaStorage => {
    let writes = 0;
    return {
      ...media.deps.storage,
      async write(key, bytes, contentType) {
        if (++writes >= n) throw new Error('storage unavailable (test)');
        await media.deps.storage.write(key, bytes, contentType);
      },
    };
  };

  it('makes nine upright, metadata-free variants of a GPS-tagged, EXIF-rotated photo and ends READY', async () => {
    const m = await upload(fixture('photo-gps-rotated.jpg'));
    await run(m.id);

    const done = await row(m.id);
    // Upright: the stored pixels are 900×1600, EXIF orientation 6 turns them to 1600×900.
    expect(done).toMatchObject({
      state: 'READY',
      failureReason: null,
      width: ROTATED.storedHeight,
      height: ROTATED.storedWidth,
    });
    expect(done.placeholder).toMatch(/^data:image\/webp;base64,/);
    expect(filesOf(dir, m.id)).toEqual({ variants: VARIANT_FILES, original: false });

    const long = { thumb: 320, medium: 1080, large: 1600 };
    for (const [file, bytes] of Object.entries(await variantBytes(m.id))) {
      const [variant, ext] = file.split('.') as [keyof typeof long, string];
      const meta = await sharp(bytes).metadata();
      expect({ file, format: meta.format, width: meta.width, height: meta.height }).toEqual({
        file,
        format: FORMAT_OF[ext],
        width: long[variant],
        height: Math.round((long[variant] * 9) / 16),
      });
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
      expect(bytes.includes('GPS')).toBe(false);
    }
    expect(await failedEvents(m.id)).toBe(0);
  });

  it('does not upscale a small photo', async () => {
    const m = await upload(fixture('photo-small.jpg'));
    await run(m.id);
    expect(await row(m.id)).toMatchObject({ state: 'READY', ...SMALL });
    for (const bytes of Object.values(await variantBytes(m.id))) {
      const meta = await sharp(bytes).metadata();
      expect({ width: meta.width, height: meta.height }).toEqual(SMALL);
    }
  });

  it('reads the real format, not the declared one: a PNG photo declared as JPEG', async () => {
    const png = await sharp(fixture('photo-small.jpg')).png().toBuffer();
    const m = await upload(png, 'image/jpeg');
    await run(m.id);
    expect(await row(m.id)).toMatchObject({ state: 'READY', ...SMALL });
  });

  it('retried after storage failed mid-job, writes the same objects and ends in the same state', async () => {
    const photo = fixture('photo-gps-rotated.jpg');
    const clean = await upload(photo);
    await run(clean.id);
    const expected = await variantBytes(clean.id);

    const m = await upload(photo);
    // The first attempt stores four objects, then storage goes away: the job throws (the queue
    // retries it) and the media stays PROCESSING.
    await expect(run(m.id, { storage: failingAfter(5) })).rejects.toThrow('storage unavailable (test)');
    expect((await row(m.id)).state).toBe('PROCESSING');
    expect(filesOf(dir, m.id)).toEqual({
      variants: ['medium.webp', 'thumb.avif', 'thumb.jpg', 'thumb.webp'],
      original: true,
    });

    await run(m.id, { attemptsMade: 1 });
    const first = await row(m.id);
    expect(first).toMatchObject({ state: 'READY', width: 1600, height: 900 });
    expect(filesOf(dir, m.id)).toEqual({ variants: VARIANT_FILES, original: false });
    const bytes = await variantBytes(m.id);
    // Byte for byte what a run without trouble makes: overwriting is harmless.
    for (const f of VARIANT_FILES) expect(sha(bytes[f]!), f).toBe(sha(expected[f]!));

    // Once more, as a redelivered job: READY stays READY and nothing is rewritten.
    const mtimes = VARIANT_FILES.map((f) => statSync(join(dir, 'media', m.id, f)).mtimeMs);
    await run(m.id, { attemptsMade: 2 });
    expect(await row(m.id)).toEqual(first);
    expect(VARIANT_FILES.map((f) => statSync(join(dir, 'media', m.id, f)).mtimeMs)).toEqual(mtimes);
    expect(await failedEvents(m.id)).toBe(0);
  });

  it('when storage fails on the last attempt, ends FAILED with nothing left behind', async () => {
    const m = await upload(fixture('photo-small.jpg'));
    await run(m.id, { attemptsMade: RESIZE_IMAGE.attempts - 1, storage: failingAfter(2) });
    expect(await row(m.id)).toMatchObject({
      state: 'FAILED',
      failureReason: 'the image could not be processed: upload it again',
    });
    expect(filesOf(dir, m.id)).toEqual({ variants: [], original: false });
    expect(await failedEvents(m.id)).toBe(1);
  });

  const bad: Array<[string, () => Promise<Buffer>, string]> = [
    [
      'a text file declared as image/jpeg',
      async () => Buffer.from('Dear diary, today I uploaded a text file as a photo.\n'.repeat(20)),
      'not a supported image (send JPEG, PNG, WebP, HEIC, AVIF or GIF)',
    ],
    [
      'a truncated JPEG',
      async () => truncated(fixture('photo-gps-rotated.jpg')),
      'the image is damaged or incomplete',
    ],
    ['a 30000×30000 PNG bomb', () => pngBomb(30_000), 'too large: 900 megapixels (limit 100)'],
  ];
  it.each(bad)(
    'refuses %s: FAILED with a reason, announced, and no objects left',
    async (_name, make, reason) => {
      const m = await upload(await make());
      await run(m.id);
      expect(await row(m.id)).toMatchObject({
        state: 'FAILED',
        failureReason: reason,
        width: null,
        placeholder: null,
      });
      expect(filesOf(dir, m.id)).toEqual({ variants: [], original: false });
      expect(await failedEvents(m.id)).toBe(1);

      // A redelivered job changes nothing and announces nothing again.
      await run(m.id, { attemptsMade: 1 });
      expect((await row(m.id)).failureReason).toBe(reason);
      expect(await failedEvents(m.id)).toBe(1);
    },
  );

  it('fails a media whose upload is missing', async () => {
    const m = await upload(fixture('photo-small.jpg'));
    await media.deps.storage.remove([uploadKey(m.id)]);
    await run(m.id);
    expect(await row(m.id)).toMatchObject({ state: 'FAILED', failureReason: 'the upload is missing' });
    expect(filesOf(dir, m.id)).toEqual({ variants: [], original: false });
  });

  it('a retried job of a FAILED media removes what an interrupted run left', async () => {
    const m = await upload(fixture('photo-small.jpg'));
    await media.deps.db.dataSource
      .getRepository(MediaEntity)
      .update({ id: m.id }, { state: 'FAILED', failureReason: 'the image is damaged or incomplete' });
    await media.deps.storage.write(`media/${m.id}/thumb.webp`, Buffer.from('left over'), 'image/webp');
    await run(m.id);
    expect(filesOf(dir, m.id)).toEqual({ variants: [], original: false });
    expect((await row(m.id)).state).toBe('FAILED');
  });

  it('for a media that is gone, removes whatever an earlier run left of it', async () => {
    const id = randomUUID();
    await media.deps.storage.write(`media/${id}/thumb.webp`, Buffer.from('left over'), 'image/webp');
    await media.deps.storage.write(uploadKey(id), fixture('photo-small.jpg'), 'image/jpeg');
    await expect(run(id)).resolves.toBeUndefined();
    expect(filesOf(dir, id)).toEqual({ variants: [], original: false });
  });

  it('runs through the queue: a job recorded in a transaction ends the media READY', async () => {
    const m = await upload(fixture('photo-small.jpg'));
    await media.deps.db.transaction((manager) =>
      recordJob(manager, RESIZE_IMAGE, { mediaId: m.id }, { id: `resize-${m.id}` }),
    );
    await eventually(async () => (await row(m.id)).state === 'READY', 20_000);
    expect(filesOf(dir, m.id)).toEqual({ variants: VARIANT_FILES, original: false });
    await eventually(async () => {
      const counts = await test.backend.queues.counts(IMAGE_RESIZE_QUEUE.name);
      return counts.waiting + counts.active + counts.delayed + counts.failed === 0;
    });
  });
});

describe('a resize worker killed in the middle of a job (servers)', () => {
  const workerScript = fileURLToPath(new URL('../src/worker.ts', import.meta.url));
  let test: TestBackend;
  let dir: string;
  let db: Database | undefined;
  const procs: ReturnType<typeof startProcess>[] = [];

  beforeAll(async () => {
    test = await openTestBackend('servers');
    dir = mkdtempSync(join(tmpdir(), 'moim-media-worker-'));
  });
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await db?.close();
    await test?.cleanUp();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs the job again in a new worker, and the media ends READY once with one set of objects', async () => {
    const databaseUrl = (await test.databaseUrl('media_worker'))!;
    const env = (extra: Record<string, string> = {}) =>
      testEnv({
        ...test.env,
        DATABASE_URL: databaseUrl,
        MEDIA_DIR: dir,
        LOG_LEVEL: 'info',
        WORKER_PORT: '0',
        HOST: '127.0.0.1',
        ...extra,
      });
    const start = (extra?: Record<string, string>) => {
      const proc = startProcess(workerScript, env(extra));
      procs.push(proc);
      return proc;
    };

    // TEST ONLY (see resize-job.ts): the first worker stops for a minute after the first variant.
    const first = start({ MEDIA_TEST_RESIZE_PAUSE_MS: '60000', JOB_LOCK_SECONDS: '4' });
    await first.waitFor(/media worker ready/);
    db = await openMysqlDatabase(databaseUrl, {
      entities: [...entities, OutboxEvent],
      migrations: [],
      logger: createLogger('test', 'silent'),
      migrate: false,
    });
    const storage = createLocalStorage({ dir, publicUrl: 'http://127.0.0.1', signUpload: (key) => key });
    const m = await uploaded(db, storage, fixture('photo-gps-rotated.jpg'));
    await db.transaction((manager) =>
      recordJob(manager, RESIZE_IMAGE, { mediaId: m.id }, { id: `resize-${m.id}` }),
    );

    await first.waitFor(/pausing after the first variant/);
    // Killed halfway: three variants stored, the original still there, the media PROCESSING.
    expect(filesOf(dir, m.id)).toEqual({
      variants: ['thumb.avif', 'thumb.jpg', 'thumb.webp'],
      original: true,
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).not.toBe(0);
    const repo = db.dataSource.getRepository(MediaEntity);
    expect((await repo.findOneByOrFail({ id: m.id })).state).toBe('PROCESSING');

    // BullMQ finds the job abandoned once its lock (JOB_LOCK_SECONDS) has expired, and runs it again.
    const second = start({ JOB_LOCK_SECONDS: '4' });
    await second.waitFor(/media worker ready/);
    const done = await eventually(async () => {
      const row = await repo.findOneByOrFail({ id: m.id });
      return row.state === 'READY' ? row : null;
    }, 100_000);
    expect(done).toMatchObject({ width: 1600, height: 900, failureReason: null });
    // The original goes once the media is READY (a step after its commit): wait for it, not a fixed time.
    await eventually(() => !filesOf(dir, m.id).original);
    expect(filesOf(dir, m.id)).toEqual({ variants: VARIANT_FILES, original: false });
    expect(readdirSync(join(dir, 'media', m.id)).some((f) => f.endsWith('.partial'))).toBe(false);

    const queue = IMAGE_RESIZE_QUEUE.name;
    await eventually(async () => {
      const c = await test.backend.queues.counts(queue);
      return c.waiting + c.active + c.delayed === 0;
    });
    expect(await test.backend.queues.failed(queue)).toEqual([]);
    expect(second.out().match(/"msg":"media ready"/g)).toHaveLength(1);
    expect(await db.dataSource.getRepository(OutboxEvent).countBy({ topic: 'media.failed' })).toBe(0);
  }, 150_000);
});
