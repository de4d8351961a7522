import { existsSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { ConfigError, lockDataDir } from '@moim/kit';
import { DEFAULT_DATA_DIR } from './local-config';

// npm run reset: deletes the embedded backend's data (DATA_DIR, default .data/) after asking.
// `npm run reset -- --yes` skips the question. MySQL and Redis are not touched, and files that are
// not the backend's stay where they are (media's uploads and variants, in media/, are).
const dir = process.env.DATA_DIR ?? DEFAULT_DATA_DIR;
const OURS = /^(?:[a-z0-9-]+\.sqlite(?:-wal|-shm|-journal)?|moim\.lock|moim\.pid|media)$/;

if (!existsSync(dir)) {
  console.log(`${dir} does not exist: nothing to delete.`);
  process.exit(0);
}
let unlock: () => void;
try {
  // Held while deleting: no npm start can be using the files, nor open them halfway through.
  unlock = lockDataDir(dir);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(`reset: ${err.message}`);
  process.exit(1);
}
const files = readdirSync(dir).filter((f) => OURS.test(f) && f !== 'moim.lock' && f !== 'moim.pid');
let yes = process.argv.includes('--yes');
if (!yes) {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  // No terminal to answer (stdin closed) counts as no.
  const answer = await new Promise<string>((resolve) => {
    rl.once('close', () => resolve(''));
    rl.question(`Delete the data in ${dir} (${files.join(', ') || 'no files'})? [y/N] `).then(resolve, () =>
      resolve(''),
    );
  });
  rl.close();
  yes = /^y(es)?$/i.test(answer.trim());
}
if (yes) {
  for (const f of files) rmSync(join(dir, f), { force: true, recursive: f === 'media' });
  rmSync(join(dir, 'moim.lock'), { force: true });
}
unlock();
if (yes) {
  if (!readdirSync(dir).length) rmdirSync(dir);
  console.log(`Deleted the data in ${dir}. The next npm start begins with fresh demo data.`);
} else {
  console.log('Nothing deleted.');
}
