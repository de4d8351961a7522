import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envStem, SERVICES } from '@moim/events';
import { createConnection } from 'mysql2/promise';
import {
  closedPort,
  createTestDatabase,
  dropRedisKeys,
  eventually,
  newTestRedisPrefix,
  startProcess,
  TEST_REDIS_URL,
  type TestDatabase,
  type TestProcess,
} from '@moim/kit/testing';

// `npm start` and `npm run reset` as a newcomer runs them: real processes.
const START = fileURLToPath(new URL('../start.ts', import.meta.url));
const RESET = fileURLToPath(new URL('../reset.ts', import.meta.url));
let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'moim-start-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Every port free: the gateway's and each service's (derived from the service list); no console build. */
const freePorts = {
  // The console's build is the browser test's (clients/admin/test): not built here as well.
  ADMIN_CONSOLE: 'off',
  PORT: '0',
  ...Object.fromEntries(SERVICES.map((s) => [`${envStem(s.name)}_PORT`, '0'])),
};

async function up(env: Record<string, string>): Promise<{ proc: TestProcess; url: string }> {
  const proc = startProcess(START, { ...freePorts, DATA_DIR: dataDir, ...env });
  const [, url] = await proc.waitFor(/"graphql":"([^"]+)".*Moim is up/, 60_000);
  return { proc, url: url! };
}

async function down(proc: TestProcess) {
  proc.child.kill('SIGTERM');
  expect(await proc.exited).toBe(0);
}

function client(url: string) {
  return async <T>(query: string, variables: object = {}, token?: string): Promise<T> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: T; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
}

const FOLLOWING = '{ feed(tab: FOLLOWING, first: 5) { edges { node { title author { nickname } } } } }';
type Feed = { feed: { edges: Array<{ node: { title: string; author: { nickname: string } } }> } };

describe('npm start on the embedded backend', () => {
  it('serves the whole graph with MySQL and Redis unreachable, and keeps the data across a restart', async () => {
    const nowhere = await closedPort();
    const first = await up({
      MOIM_BACKEND: 'embedded',
      MYSQL_URL: `mysql://root@127.0.0.1:${nowhere}`,
      REDIS_URL: `redis://127.0.0.1:${nowhere}`,
    });
    expect(first.proc.out()).toMatch(/"backend":"embedded".*"msg":"backend: embedded/);
    expect(readdirSync(dataDir).sort()).toEqual(
      expect.arrayContaining(['jobs.sqlite', ...SERVICES.map((s) => `${s.name}.sqlite`)]),
    );
    let gql = client(first.url);
    type Auth = { signUp: { accessToken: string; user: { id: string } } };
    const signUp = (nickname: string) =>
      gql<Auth>('mutation($i: SignUpInput!) { signUp(input: $i) { accessToken user { id } } }', {
        i: { email: `${nickname}@example.com`, password: 'correct-horse-battery', nickname },
      }).then((d) => d.signUp);
    const alice = await signUp('alice');
    const bob = await signUp('bob');
    await gql('mutation($id: ID!) { follow(userId: $id) { id } }', { id: bob.user.id }, alice.accessToken);
    const { createPlace } = await gql<{ createPlace: { id: string } }>(
      'mutation { createPlace(input: { name: "Cafe Onion", category: "cafe" }) { id } }',
      {},
      bob.accessToken,
    );
    await gql(
      'mutation($i: CreateReviewInput!) { createReview(input: $i) { id } }',
      { i: { kind: 'DADALOG', title: 'Best croissant', body: 'flaky', rating: 5, placeId: createPlace.id } },
      bob.accessToken,
    );
    // The follow reaches review through social's outbox and the in-process queue.
    const expected = [{ node: { title: 'Best croissant', author: { nickname: 'bob' } } }];
    const feed = await eventually(async () => {
      const { feed } = await gql<Feed>(FOLLOWING, {}, alice.accessToken);
      return feed.edges.length ? feed.edges : null;
    });
    expect(feed).toEqual(expected);
    await down(first.proc);

    // Restarted with nothing configured: the default is the embedded backend, on the same data.
    const second = await up({});
    expect(second.proc.out()).toMatch(/"why":"no MySQL or Redis configured"/);
    expect(second.proc.out()).not.toMatch(/demo data loaded/);
    gql = client(second.url);
    const { logIn } = await gql<{ logIn: { accessToken: string } }>(
      'mutation { logIn(input: { email: "alice@example.com", password: "correct-horse-battery" }) { accessToken } }',
    );
    expect((await gql<Feed>(FOLLOWING, {}, logIn.accessToken)).feed.edges).toEqual(expected);
    const demo = await gql<{ logIn: { user: { followingCount: number } } }>(
      'mutation { logIn(input: { email: "demo@moim.dev", password: "moim-demo-1234" }) { user { followingCount } } }',
    );
    expect(demo.logIn.user.followingCount).toBe(10);

    // One process per data folder: a second npm start is refused, and so is a reset.
    const again = startProcess(START, { ...freePorts, DATA_DIR: dataDir });
    expect(await again.exited).toBe(1);
    expect(again.err()).toMatch(/is in use by another Moim process \(pid \d+\)/);
    const reset = startProcess(RESET, { DATA_DIR: dataDir }, ['--yes']);
    expect(await reset.exited).toBe(1);
    expect(reset.err()).toMatch(/^reset: .* is in use by another Moim process/);
    expect(existsSync(join(dataDir, 'social.sqlite'))).toBe(true);
    await down(second.proc);

    const confirmed = startProcess(RESET, { DATA_DIR: dataDir }); // no answer on stdin: nothing deleted
    expect(await confirmed.exited).toBe(0);
    expect(confirmed.out()).toMatch(/Nothing deleted/);
    expect(existsSync(join(dataDir, 'social.sqlite'))).toBe(true);
    writeFileSync(join(dataDir, 'notes.txt'), 'not the backend’s');
    const yes = startProcess(RESET, { DATA_DIR: dataDir }, ['--yes']);
    expect(await yes.exited).toBe(0);
    expect(readdirSync(dataDir)).toEqual(['notes.txt']); // only the backend's files are deleted
  }, 90_000); // two starts of every service, the first one seeding the demo
});

describe('npm start refuses what it cannot do', () => {
  it('stops with the address when MOIM_BACKEND=servers and MySQL does not answer', async () => {
    const port = await closedPort();
    const prefix = newTestRedisPrefix();
    const proc = startProcess(START, {
      ...freePorts,
      MOIM_BACKEND: 'servers',
      MYSQL_URL: `mysql://root@127.0.0.1:${port}`,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
    });
    expect(await proc.exited).toBe(1);
    expect(proc.err()).toBe(`moim: Cannot reach MySQL at 127.0.0.1:${port} (ECONNREFUSED)\n`);
    await dropRedisKeys(prefix);
  });

  it('refuses the embedded backend in production, saying why', async () => {
    const proc = startProcess(START, {
      ...freePorts,
      NODE_ENV: 'production',
      INTERNAL_SECRET: 'x'.repeat(40),
      JWT_SECRET: 'y'.repeat(40),
    });
    expect(await proc.exited).toBe(1);
    expect(proc.err()).toMatch(/MOIM_BACKEND: NODE_ENV=production needs the servers backend/);
  });
});

describe('npm start in production', () => {
  const CREATE_ADMIN = fileURLToPath(new URL('../create-admin.ts', import.meta.url));
  let databases: TestDatabase[] = [];
  const prefix = newTestRedisPrefix();
  afterAll(async () => {
    await Promise.all(databases.map((db) => db.drop()));
    await dropRedisKeys(prefix);
  });

  it('creates no account on empty databases, and create-admin makes the first admin', async () => {
    databases = await Promise.all(SERVICES.map((s) => createTestDatabase(`prod_${s.name}`)));
    const env = {
      ...freePorts,
      NODE_ENV: 'production',
      INTERNAL_SECRET: 'i'.repeat(40),
      JWT_SECRET: 'j'.repeat(40),
      HOST: '127.0.0.1',
      // Production serves metrics on a fixed internal port: a free one here, beside other runs.
      METRICS_PORT: '0',
      SMS_PROVIDER: 'local',
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      ...Object.fromEntries(SERVICES.map((s, i) => [`${envStem(s.name)}_DATABASE_URL`, databases[i]!.url])),
    };
    const proc = startProcess(START, env);
    const [, url] = await proc.waitFor(/"graphql":"([^"]+)".*Moim is up/, 60_000);
    expect(proc.out()).not.toMatch(/demo data loaded|moim-admin-1234|moim-demo-1234/);
    const users = await countUsers(databases[SERVICES.findIndex((s) => s.name === 'social')]!.url);
    expect(users).toBe(0);

    const weak = startProcess(CREATE_ADMIN, { ...env, ADMIN_PASSWORD: 'short' }, [
      '--email',
      'boss@example.com',
    ]);
    expect(await weak.exited).toBe(1);
    expect(weak.err()).toMatch(/^create-admin: password must be/);
    const admin = startProcess(CREATE_ADMIN, { ...env, ADMIN_PASSWORD: 'a-long-and-private-passphrase' }, [
      '--email',
      'boss@example.com',
      '--nickname',
      'boss',
    ]);
    expect(await admin.exited).toBe(0);
    expect(admin.out()).toMatch(/^Created admin boss@example\.com \(boss, id [0-9a-f-]+\)\./);
    const gql = client(url!);
    const { logIn } = await gql<{ logIn: { user: { role: string } } }>(
      'mutation { logIn(input: { email: "boss@example.com", password: "a-long-and-private-passphrase" }) { user { role } } }',
    );
    expect(logIn.user.role).toBe('ADMIN');
    // Run again: the account exists, nothing to create.
    const again = startProcess(CREATE_ADMIN, env, ['--email', 'BOSS@example.com']);
    expect(await again.exited).toBe(0);
    expect(again.out()).toMatch(/^Promoted admin boss@example\.com/);
    expect(await countUsers(databases[SERVICES.findIndex((s) => s.name === 'social')]!.url)).toBe(1);
    await down(proc);

    // npm run seed refuses production unless asked for explicitly (staging).
    const seed = startProcess(fileURLToPath(new URL('../seed.ts', import.meta.url)), env);
    expect(await seed.exited).toBe(1);
    expect(seed.err()).toMatch(/SEED_DEMO=true/);
    // Five processes, each migrating or reading fresh databases: the waits above allow for a slow machine.
  }, 120_000);
});

async function countUsers(url: string): Promise<number> {
  const conn = await createConnection(url);
  try {
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM users');
    return Number((rows as Array<{ n: number }>)[0]!.n);
  } finally {
    await conn.end();
  }
}
