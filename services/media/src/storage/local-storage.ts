import { mkdir, readFile, rm, stat, writeFile, rename } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import type { MediaStorage } from './storage.port';

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
}): MediaStorage & { pathOf(key: string): string } {
  const root = resolve(options.dir);
  const pathOf = (key: string) => {
    if (!KEY.test(key)) throw new Error(`Not a media key: ${key}`);
    const path = resolve(root, key);
    if (!path.startsWith(root + sep)) throw new Error(`Not a media key: ${key}`);
    return path;
  };
  return {
    name: 'local',
    pathOf,
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
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // Written aside and renamed: a reader never sees half a file.
      const partial = `${path}.${process.pid}.partial`;
      await writeFile(partial, bytes);
      await rename(partial, path);
    },
    async remove(keys) {
      for (const key of keys) await rm(pathOf(key), { force: true });
    },
    publicUrl: (key) => `${options.publicUrl}/${key}`,
  };
}
