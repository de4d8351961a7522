import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CALLER_HEADER, REQUEST_ID_HEADER, signCaller } from '@moim/kit';
import {
  closedPort,
  createTestDatabase,
  dropRedisKeys,
  newTestRedisPrefix,
  startProcess,
  TEST_REDIS_URL,
  TEST_SECRET,
  testEnv,
  type TestDatabase,
} from '@moim/kit/testing';

// The real process entry (src/main.ts), as a container runs it.
const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let db: TestDatabase;
const prefix = newTestRedisPrefix();
beforeAll(async () => {
  db = await createTestDatabase('social_process');
});
afterAll(async () => {
  await db?.drop();
  await dropRedisKeys(prefix);
});

const serversEnv = () =>
  testEnv({
    LOG_LEVEL: 'debug',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
  });

it('refuses to start on bad configuration, naming every bad variable', async () => {
  const proc = startProcess(main, { DATABASE_URL: 'postgres://nope', SMS_PROVIDER: 'carrier-pigeon' });
  expect(await proc.exited).toBe(1);
  expect(proc.err()).toMatch(/^social: Invalid configuration:/);
  for (const name of ['DATABASE_URL', 'INTERNAL_SECRET', 'JWT_SECRET', 'SMS_PROVIDER'])
    expect(proc.err()).toContain(`${name}:`);
});

it('refuses the embedded backend in production or alone, and a servers backend without its database', async () => {
  const embedded = startProcess(main, { ...testEnv(), NODE_ENV: 'production', MOIM_BACKEND: 'embedded' });
  expect(await embedded.exited).toBe(1);
  expect(embedded.err()).toMatch(/MOIM_BACKEND: embedded keeps data in local SQLite files .* use servers/);
  expect(embedded.err()).toContain('SMS_PROVIDER: Required in production');
  const alone = startProcess(main, { ...testEnv(), MOIM_BACKEND: 'embedded' });
  expect(await alone.exited).toBe(1);
  expect(alone.err()).toMatch(/MOIM_BACKEND: embedded runs every service in one process: use npm start/);
  const noDatabase = startProcess(main, { ...testEnv(), MOIM_BACKEND: 'servers' });
  expect(await noDatabase.exited).toBe(1);
  expect(noDatabase.err()).toMatch(/DATABASE_URL: Required with MOIM_BACKEND=servers/);
});

it('fails at start with the address of a MySQL or Redis that does not answer', async () => {
  const port = await closedPort();
  const mysql = startProcess(main, {
    ...serversEnv(),
    DATABASE_URL: `mysql://root@127.0.0.1:${port}/moim_x`,
  });
  expect(await mysql.exited).toBe(1);
  expect(mysql.err()).toBe(`social: Cannot reach MySQL at 127.0.0.1:${port} (ECONNREFUSED)\n`);
  const redis = startProcess(main, { ...serversEnv(), REDIS_URL: `redis://127.0.0.1:${port}` });
  expect(await redis.exited).toBe(1);
  expect(redis.err()).toBe(
    `social: Cannot reach Redis at 127.0.0.1:${port} (ECONNREFUSED 127.0.0.1:${port})\n`,
  );
});

it('answers a request in flight when SIGTERM arrives, then drains and exits 0', async () => {
  const proc = startProcess(main, serversEnv());
  const [, url] = await proc.waitFor(/"url":"([^"]+)".*social subgraph ready/);
  expect((await fetch(`${url}/health/ready`)).status).toBe(200);

  // A request whose body is half sent: the server has it, and is waiting for the rest.
  const body = JSON.stringify({ query: '{ __typename }' });
  const caller = { userId: null, role: null, ip: '127.0.0.1', requestId: 'in-flight-1' };
  const req = request(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      [CALLER_HEADER]: signCaller(caller, TEST_SECRET, 'social', body),
      [REQUEST_ID_HEADER]: 'in-flight-1',
    },
  });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
  });
  req.write(body.slice(0, 10));
  await proc.waitFor(/"requestId":"in-flight-1".*"msg":"request received"/);

  proc.child.kill('SIGTERM');
  await proc.waitFor(/"signal":"SIGTERM".*"msg":"shutting down"/);
  req.end(body.slice(10));
  expect(await response).toEqual({
    status: 200,
    text: JSON.stringify({ data: { __typename: 'Query' } }) + '\n',
  });
  expect(await proc.exited).toBe(0);
  expect(proc.out()).toContain('"msg":"stopped"');
});
