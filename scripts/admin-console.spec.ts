import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adminConsoleStale } from './admin-console';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

// Times from now on, a minute apart: folders made by the test itself are older than all of them.
let clock = Date.now() / 1000;
/** A file at `path` under the temporary root, modified after everything before it. */
function touch(path: string) {
  const full = join(root, path);
  mkdirSync(dirname(full), { recursive: true });
  writeFileSync(full, '');
  clock += 60;
  utimesSync(full, clock, clock);
}

describe('the console build is stale', () => {
  it('when missing, and when a source, the SDK or an install is newer than it', () => {
    root = mkdtempSync(join(tmpdir(), 'moim-console-stale-'));
    touch('clients/admin/src/App.tsx');
    touch('clients/sdk/src/client.ts');
    touch('node_modules/.package-lock.json');
    expect(adminConsoleStale(root)).toBe(true);

    touch('clients/admin/dist/index.html');
    expect(adminConsoleStale(root)).toBe(false);

    for (const changed of [
      'clients/admin/src/App.tsx',
      'clients/sdk/src/client.ts',
      'node_modules/.package-lock.json',
    ]) {
      touch(changed);
      expect(adminConsoleStale(root), changed).toBe(true);
      touch('clients/admin/dist/index.html');
      expect(adminConsoleStale(root)).toBe(false);
    }
    // What the build is not made of does not count.
    touch('services/review/src/schema.graphql');
    touch('package-lock.json');
    expect(adminConsoleStale(root)).toBe(false);
  });
});
