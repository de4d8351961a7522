import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { lockDataDir } from '@moim/kit';
import { DEFAULT_DATA_DIR } from './local-config';

// npm run reset: deletes the embedded backend's data (DATA_DIR, default .data/) after asking.
// `npm run reset -- --yes` skips the question. MySQL and Redis are not touched.
const dir = process.env.DATA_DIR ?? DEFAULT_DATA_DIR;
if (!existsSync(dir)) {
  console.log(`${dir} does not exist: nothing to delete.`);
  process.exit(0);
}
// Taking the lock proves no npm start is using the data right now.
const unlock = lockDataDir(dir);
const files = readdirSync(dir).filter((f) => f !== 'moim.lock');
let yes = process.argv.includes('--yes');
if (!yes) {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  // No terminal to answer (stdin closed) counts as no.
  const answer = await new Promise<string>((resolve) => {
    rl.once('close', () => resolve(''));
    rl.question(`Delete ${dir} (${files.length} files: ${files.join(', ')})? [y/N] `).then(resolve, () =>
      resolve(''),
    );
  });
  rl.close();
  yes = /^y(es)?$/i.test(answer.trim());
}
unlock();
if (yes) {
  rmSync(dir, { recursive: true, force: true });
  console.log(`Deleted ${dir}. The next npm start begins with fresh demo data.`);
} else {
  console.log('Nothing deleted.');
}
