import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createTestDatabase,
  dropRedisKeys,
  newTestRedisPrefix,
  TEST_JWT_SECRET,
  testServiceConfig,
  type TestDatabase,
} from '@moim/kit/testing';

// The real process entry (src/main.ts), as a container runs it.
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

function start(env: Record<string, string>) {
  const child = spawn(tsx, [main], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  // 'close', not 'exit': it fires only after the output pipes are drained.
  const exited = once(child, 'close').then(([code]) => code as number);
  return { child, exited, out: () => stdout, err: () => stderr };
}

let db: TestDatabase;
const prefix = newTestRedisPrefix();
beforeAll(async () => {
  db = await createTestDatabase('social_process');
});
afterAll(async () => {
  await db?.drop();
  await dropRedisKeys(prefix);
});

it('refuses to start on bad configuration, naming every bad variable', async () => {
  const proc = start({ DATABASE_URL: 'postgres://nope', SMS_PROVIDER: 'carrier-pigeon' });
  expect(await proc.exited).toBe(1);
  expect(proc.err()).toMatch(/^social: Invalid configuration:/);
  for (const name of ['DATABASE_URL', 'INTERNAL_SECRET', 'JWT_SECRET', 'SMS_PROVIDER'])
    expect(proc.err()).toContain(`${name}:`);
});

it('serves until SIGTERM, then drains and exits 0', async () => {
  const env = Object.fromEntries(
    Object.entries({
      ...testServiceConfig(db.url, prefix),
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: '127.0.0.1',
      JWT_SECRET: TEST_JWT_SECRET,
    }).map(([k, v]) => [k, String(v)]),
  );
  const proc = start(env);
  const url = await new Promise<string>((resolve, reject) => {
    proc.child.stdout.on('data', () => {
      const ready = /"url":"([^"]+)".*social subgraph ready/.exec(proc.out());
      if (ready) resolve(ready[1]!);
    });
    void proc.exited.then((code) => reject(new Error(`exited ${code}: ${proc.err()}`)));
  });
  expect((await fetch(`${url}/health/ready`)).status).toBe(200);
  proc.child.kill('SIGTERM');
  expect(await proc.exited).toBe(0);
  expect(proc.out()).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
  expect(proc.out()).toContain('"msg":"stopped"');
});
