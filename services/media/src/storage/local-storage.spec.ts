import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLocalStorage, isLocalStorage } from './local-storage';

const dir = mkdtempSync(join(tmpdir(), 'moim-local-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const storage = createLocalStorage({
  dir,
  publicUrl: 'http://127.0.0.1:4003',
  signUpload: (key) => `http://127.0.0.1:4003/${key}?signed`,
});

describe('the local storage adapter', () => {
  it('writes, reads, sizes and removes by key; missing is null, removing missing is fine', async () => {
    const id = randomUUID();
    const key = `media/${id}/thumb.webp`;
    expect(await storage.read(key)).toBeNull();
    expect(await storage.size(key)).toBeNull();
    await storage.write(key, Buffer.from('hello'), 'image/webp');
    expect((await storage.read(key))?.toString()).toBe('hello');
    expect(await storage.size(key)).toBe(5);
    expect(readdirSync(join(dir, 'media', id))).toEqual(['thumb.webp']);
    await storage.remove([key, `media/${id}/large.jpg`]);
    expect(await storage.read(key)).toBeNull();
    expect(storage.publicUrl(key)).toBe(`http://127.0.0.1:4003/${key}`);
    expect(isLocalStorage(storage)).toBe(true);
  });

  it('refuses anything that is not a media key', async () => {
    for (const key of [
      '../x',
      'uploads/../../etc/passwd',
      `media/${randomUUID()}/../../../x.webp`,
      '/etc/passwd',
      '',
    ])
      await expect(storage.read(key)).rejects.toThrow(/Not a media key/);
  });

  it('commits a partial file into place by rename, and only a partial of that key', async () => {
    const id = randomUUID();
    const key = `uploads/${id}`;
    const partial = await storage.partialPath(key);
    expect(partial.startsWith(`${storage.pathOf(key)}.`)).toBe(true);
    expect(await storage.partialPath(key)).not.toBe(partial);
    writeFileSync(partial, 'bytes');
    await expect(storage.commit(partial, `uploads/${randomUUID()}`)).rejects.toThrow(/Not a partial file/);
    await expect(storage.commit(join(dir, 'elsewhere'), key)).rejects.toThrow(/Not a partial file/);
    await storage.commit(partial, key);
    expect(existsSync(partial)).toBe(false);
    expect((await storage.read(key))?.toString()).toBe('bytes');
    expect(readdirSync(join(dir, 'uploads')).filter((f) => f.startsWith(id))).toEqual([id]);
  });
});
