import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile, rename } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { MediaStorage } from './storage.port';

/** The local adapter: what media's own routes need besides the port. */
export interface LocalStorage extends MediaStorage {
  readonly name: 'local';
  /** The file of a key; throws for anything that is not a media key. */
  pathOf(key: string): string;
  /**
   * A new, unique file beside the key's (its folder made), for bytes being received: `commit`
   * renames it into place, so the key never names half a file; the caller removes it otherwise.
   */
  partialPath(key: string): Promise<string>;
  /**
   * The one file an upload's bytes are received in (its folder made): one PUT at a time may hold
   * it (see routes.ts), so a signed URL cannot be used by many requests at once.
   */
  receivingPath(key: string): Promise<string>;
  commit(partial: string, key: string): Promise<void>;
}

export const isLocalStorage = (storage: MediaStorage): storage is LocalStorage =>
  storage.name === 'local' && 'partialPath' in storage;

/** Keys are `uploads/<uuid>` or `media/<uuid>/<variant>.<ext>`: nothing else names a file. */
const KEY = /^(uploads\/[0-9a-f-]{36}|media\/[0-9a-f-]{36}\/[a-z]+\.[a-z0-9]+)$/;

/**
 * Files under `dir`. Uploads go to media's own `PUT /uploads/<id>` (see routes.ts), whose URL
 * `sign` makes; variants are served by media at `<publicUrl>/media/<id>/<variant>.<ext>`.
 */
export function createLocalStorage(options: {
  dir: string;
  publicUrl: string;
  signUpload: (key: string, upload: { contentType: string; byteSize: number; expiresAt: Date }) => string;
}): LocalStorage {
  const root = resolve(options.dir);
  const pathOf = (key: string) => {
    if (!KEY.test(key)) throw new Error(`Not a media key: ${key}`);
    const path = resolve(root, key);
    if (!path.startsWith(root + sep)) throw new Error(`Not a media key: ${key}`);
    return path;
  };
  const partialPath = async (key: string) => {
    const path = pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    return `${path}.${randomUUID()}.partial`;
  };
  const receivingPath = async (key: string) => {
    const path = pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    return `${path}.receiving.partial`;
  };
  return {
    name: 'local',
    pathOf,
    receivingPath,
    partialPath,
    async commit(partial, key) {
      if (!partial.startsWith(`${pathOf(key)}.`) || !partial.endsWith('.partial'))
        throw new Error(`Not a partial file of ${key}: ${partial}`);
      await rename(partial, pathOf(key));
    },
    async uploadTarget(key, upload) {
      return {
        url: options.signUpload(key, upload),
        method: 'PUT',
        headers: { 'content-type': upload.contentType },
        expiresAt: upload.expiresAt,
      };
    },
    async read(key) {
      try {
        return await readFile(pathOf(key));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async size(key) {
      try {
        return (await stat(pathOf(key))).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    },
    async write(key, bytes) {
      // Written aside and renamed: a reader never sees half a file, nor two writers each other's.
      const partial = await partialPath(key);
      try {
        await writeFile(partial, bytes, { flag: 'wx' });
        await rename(partial, pathOf(key));
      } catch (err) {
        await rm(partial, { force: true });
        throw err;
      }
    },
    async remove(keys) {
      for (const key of keys) await rm(pathOf(key), { force: true });
    },
    publicUrl: (key) => `${options.publicUrl}/${key}`,
  };
}
