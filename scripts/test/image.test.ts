import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envStem, SERVICES, type ServiceName } from '@moim/events';
import { dropMysqlDatabase } from '@moim/kit';
import { closedPort, dropRedisKeys, TEST_MYSQL_URL, TEST_REDIS_URL } from '@moim/kit/testing';
import { build, DIST, ROOT, type BuildResult } from '../build';
import { COMPONENTS, databaseUrlKey } from '../components';
import { COMMANDS, ENTRIES } from '../moim';

// The image's processes as it runs them: built JavaScript (`node dist/moim.js <command>`), not
// TypeScript through tsx, against the local MariaDB and Redis. The Dockerfile copies dist/ and the
// source tree's other files to the same places; the native addons are the ones this machine built
// (the image compiles its own in its toolchain stage: dockerfile.test.ts).
const MOIM = join(DIST, 'moim.js');
const run = randomBytes(4).toString('hex');
const REDIS_PREFIX = `moim-img-${run}`;
const databaseUrls = Object.fromEntries(
  SERVICES.map(({ name }) => [name, `${TEST_MYSQL_URL}/moim_img_${run}_${name.replace(/-/g, '_')}`]),
) as Record<ServiceName, string>;

/** The components the deployment test starts; the others are only loaded. */
const STARTED = ['review', 'review-worker', 'social', 'gateway'];

const PRODUCTION = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  INTERNAL_SECRET: 'image-test-internal-secret-0123456789abcd',
  JWT_SECRET: 'image-test-jwt-secret-0123456789abcdefghi',
  SMS_PROVIDER: 'local',
  MIGRATE_ON_START: 'false',
  REDIS_URL: TEST_REDIS_URL,
  REDIS_PREFIX,
};

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  out(): string;
}

/** `node dist/moim.js <args>` with exactly `env` (plus PATH), as the image's ENTRYPOINT runs it. */
function moim(args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, ['--enable-source-maps', MOIM, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  // 'close': after the output is read to the end.
  const exited = once(child, 'close').then(([code]) => code as number | null);
  return { child, exited, out: () => output };
}

async function finished(args: string[], env: Record<string, string> = {}) {
  const proc = moim(args, env);
  return { code: await proc.exited, output: proc.out() };
}

/** Resolves once `url` answers 200 (each check of /health/ready is real); fails if the process ends first. */
async function ready(proc: Proc, url: string, timeoutMs = 20_000): Promise<void> {
  let ended = false;
  void proc.exited.then(() => (ended = true));
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (ended) throw new Error(`exited ${await proc.exited} before ${url} was ready:\n${proc.out()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = String(err);
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready in ${timeoutMs} ms (${last}):\n${proc.out()}`);
}

let built: BuildResult;
beforeAll(async () => {
  built = await build({ log: false });
}, 60_000);

afterAll(async () => {
  await Promise.all(Object.values(databaseUrls).map((url) => dropMysqlDatabase(url)));
  await dropRedisKeys(REDIS_PREFIX);
});

describe('the dispatcher', () => {
  it('has an entry for every component and one-shot command, and nothing else', () => {
    expect(Object.keys(ENTRIES).sort()).toEqual([...COMMANDS].sort());
    expect(COMMANDS).toEqual(expect.arrayContaining(COMPONENTS.map((c) => c.name)));
    // Each entry is its own lazily loaded chunk beside dist/moim.js.
    const chunks = built.metafile.outputs['dist/moim.js']!.imports.filter((i) => i.kind === 'dynamic-import');
    expect(chunks).toHaveLength(Object.keys(ENTRIES).length);
    for (const { path } of chunks) expect(existsSync(join(ROOT, path)), path).toBe(true);
  });

  it('prints the commands and exits 2 for an unknown command or none', async () => {
    for (const args of [['no-such-thing'], []]) {
      const { code, output } = await finished(args);
      expect(code).toBe(2);
      for (const name of COMMANDS) expect(output).toContain(`  ${name}\n`);
    }
    expect((await finished(['no-such-thing'])).output).toMatch(/unknown command "no-such-thing"/);
  });

  it('loads every other component from dist/, which then checks its configuration (exit 1, problems listed)', async () => {
    // Those the deployment below starts for real are left out (each process takes a second of CPU).
    const others = COMPONENTS.filter(({ name }) => !STARTED.includes(name));
    const results = await Promise.all(
      others.map(async ({ name }) => ({ name, ...(await finished([name], { NODE_ENV: 'production' })) })),
    );
    for (const { name, code, output } of results) {
      expect(code, `${name}:\n${output}`).toBe(1);
      expect(output, name).toMatch(/: Invalid configuration:\n {2}INTERNAL_SECRET: Required/);
      expect(output, name).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find|failed to start/);
    }
  });

  it('hands a one-shot command its own arguments (the command name is not one of them)', async () => {
    // create-admin parses process.argv.slice(2) strictly: a leftover "create-admin" would be an
    // unexpected positional (exit 1), not the missing --email (usage, exit 2).
    const { code, output } = await finished(['create-admin']);
    expect(output).toMatch(/^usage: .*create-admin -- --email/m);
    expect(code).toBe(2);
  });
});

describe('a deployment from dist/', () => {
  const procs: Proc[] = [];
  let stub: Server | undefined;
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    stub?.close();
  });

  const allDatabases = Object.fromEntries(
    SERVICES.map(({ name }) => [databaseUrlKey(name), databaseUrls[name]]),
  );

  it('migrate refuses to start without every <SERVICE>_DATABASE_URL, naming the missing ones', async () => {
    const { CHAT_DATABASE_URL: _, ...someDatabases } = allDatabases;
    const { code, output } = await finished(['migrate'], { ...PRODUCTION, ...someDatabases });
    expect(code).toBe(1);
    expect(output).toContain('migrate: Invalid configuration:\n  CHAT_DATABASE_URL: Required');
    expect(output).not.toMatch(/SOCIAL_DATABASE_URL/);
  });

  it("migrate parses every service's configuration before migrating anything, listing each problem with its service", async () => {
    const { code, output } = await finished(['migrate'], {
      ...PRODUCTION,
      ...allDatabases,
      MEDIA_STORAGE: 'gcs',
      SMS_PROVIDER: 'carrier-pigeon',
    });
    expect(code).toBe(1);
    expect(output).toMatch(/^migrate: Invalid configuration:$/m);
    expect(output).toMatch(/^ {2}social SMS_PROVIDER: .+$/m);
    expect(output).toMatch(/^ {2}media GCS_BUCKET: Required when MEDIA_STORAGE=gcs$/m);
    // social comes first in the list: nothing of it may have been created.
    const mysql = await createConnection(TEST_MYSQL_URL);
    const [rows] = await mysql.query('SHOW DATABASES LIKE ?', [databaseUrls.social.split('/').pop()]);
    await mysql.end();
    expect(rows).toEqual([]);
  });

  it('migrate creates and migrates every database, then finds nothing to apply', async () => {
    const env = { ...PRODUCTION, ...allDatabases, LOG_LEVEL: 'info' };
    const first = await finished(['migrate'], env);
    expect(first.code, first.output).toBe(0);
    const applied = (output: string) =>
      output
        .split('\n')
        .filter((line) => line.includes('"msg":"migrations applied"'))
        .map((line) => (JSON.parse(line) as { database: string }).database);
    expect(applied(first.output).sort()).toEqual(SERVICES.map((s) => s.name).sort());
    // Class names survive the bundle (keepNames): TypeORM records migrations by them.
    expect(first.output).toMatch(/"migrations":\["CreateOutbox1764200000000"/);

    const second = await finished(['migrate'], env);
    expect(second.code, second.output).toBe(0);
    expect(applied(second.output)).toEqual([]);
    expect(second.output).toContain('every database is migrated');
  });

  it('runs review, review-worker, social and the gateway, serves a query through the gateway, and stops on SIGTERM', async () => {
    const [reviewPort, workerPort, socialPort, gatewayPort, metricsPort] = await Promise.all([
      closedPort(),
      closedPort(),
      closedPort(),
      closedPort(),
      closedPort(),
    ]);
    // Subgraphs this test does not start: the gateway's readiness asks each subgraph's /health/live.
    stub = createServer((req, res) => res.writeHead(req.url === '/health/live' ? 200 : 404).end());
    await new Promise<void>((resolve) => stub!.listen(0, '127.0.0.1', resolve));
    const stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}/graphql`;

    const service = (name: ServiceName) => ({ ...PRODUCTION, DATABASE_URL: databaseUrls[name] });
    const started = {
      review: moim(['review'], { ...service('review'), PORT: String(reviewPort) }),
      'review-worker': moim(['review-worker'], { ...service('review'), WORKER_PORT: String(workerPort) }),
      social: moim(['social'], { ...service('social'), PORT: String(socialPort) }),
      gateway: moim(['gateway'], {
        ...PRODUCTION,
        PORT: String(gatewayPort),
        METRICS_PORT: String(metricsPort),
        ...Object.fromEntries(SERVICES.map(({ name }) => [`SUBGRAPH_${envStem(name)}_URL`, stubUrl])),
        SUBGRAPH_REVIEW_URL: `http://127.0.0.1:${reviewPort}/graphql`,
        SUBGRAPH_SOCIAL_URL: `http://127.0.0.1:${socialPort}/graphql`,
      }),
    };
    procs.push(...Object.values(started));
    const base = (port: number) => `http://127.0.0.1:${port}`;
    await Promise.all([
      ready(started.review, `${base(reviewPort)}/health/ready`),
      ready(started['review-worker'], `${base(workerPort)}/health/ready`),
      ready(started.social, `${base(socialPort)}/health/ready`),
    ]);
    await ready(started.gateway, `${base(gatewayPort)}/health/ready`);

    const gql = async <T>(query: string, variables: object = {}, token?: string): Promise<T> => {
      const res = await fetch(`${base(gatewayPort)}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as { data: T; errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data;
    };
    // Social's sign-up reads its word lists beside its source; the gateway its supergraph.
    const { signUp } = await gql<{ signUp: { accessToken: string } }>(
      'mutation($i: SignUpInput!) { signUp(input: $i) { accessToken } }',
      { i: { email: `img-${run}@example.com`, password: 'correct-horse-battery', nickname: `img${run}` } },
    );
    const { createProduct } = await gql<{ createProduct: { id: string } }>(
      'mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }',
      { i: { name: 'Honey butter chips', category: 'snack' } },
      signUp.accessToken,
    );
    await gql(
      'mutation($i: CreateReviewInput!) { createReview(input: $i) { id } }',
      { i: { kind: 'SOSOLOG', body: 'Sweet and salty', rating: 4, productId: createProduct.id } },
      signUp.accessToken,
    );
    const { feed } = await gql<{
      feed: { edges: Array<{ node: { body: string; author: { nickname: string } } }> };
    }>('{ feed(tab: LATEST, first: 1) { edges { node { id body author { nickname } } } } }');
    expect(feed.edges.map((e) => e.node)).toEqual([
      expect.objectContaining({ body: 'Sweet and salty', author: { nickname: `img${run}` } }),
    ]);

    const metrics = await fetch(`${base(metricsPort)}/metrics`);
    expect(metrics.status).toBe(200);

    for (const p of Object.values(started)) p.child.kill('SIGTERM');
    for (const [name, p] of Object.entries(started)) expect(await p.exited, `${name}:\n${p.out()}`).toBe(0);
  }, 45_000);
});
