import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './env';

/**
 * The embedded backend's data belongs to one process: a second `npm start` on the same folder
 * would run its own queues on the same files. The lock file holds the owner's pid; one left by a
 * process that no longer runs is taken over.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'moim.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(file, 'utf8'));
      if (isRunning(owner))
        throw new ConfigError(
          `${dir} is in use by another Moim process (pid ${owner}): stop it first, or set DATA_DIR to another folder`,
        );
      rmSync(file, { force: true });
    }
  }
  throw new ConfigError(`Could not lock ${dir}`);
}

function isRunning(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
