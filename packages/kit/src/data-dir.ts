import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { ConfigError } from './env';

/**
 * The embedded backend's data belongs to one process: a second `npm start` on the same folder
 * would run its own queues on the same files. The lock is SQLite's exclusive lock on
 * `moim.lock`, held by the operating system for as long as the process lives (so a crashed
 * process leaves no stale lock, whatever pid comes next); `moim.pid` only names the owner.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const lock = new Sqlite(join(dir, 'moim.lock'), { timeout: 0 });
  try {
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE; COMMIT'); // takes the lock, and keeps it until closed
  } catch (err) {
    lock.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    const owner = readOwner(dir);
    throw new ConfigError(
      `${dir} is in use by another Moim process${owner ? ` (pid ${owner})` : ''}: stop it first, or set DATA_DIR to another folder`,
    );
  }
  writeFileSync(join(dir, 'moim.pid'), String(process.pid));
  return () => {
    rmSync(join(dir, 'moim.pid'), { force: true });
    lock.close();
  };
}

function readOwner(dir: string): string | null {
  try {
    return readFileSync(join(dir, 'moim.pid'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}
