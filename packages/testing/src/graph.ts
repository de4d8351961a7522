import { randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envStem, SERVICES, type ServiceName } from '@moim/events';
import { createGateway, loadGatewayEnv, type Gateway } from '@moim/gateway';
import {
  createLogger,
  loadServiceModule,
  openBackend,
  startService,
  startServices,
  waitUntilSettled,
  type Backend,
  type BackendKind,
  type RunningService,
  type ServiceDeps,
  type StartedServices,
} from '@moim/kit';
import {
  closedPort,
  eventually,
  openTestBackend,
  TEST_BACKEND,
  TEST_LOG_LEVEL,
  testEnv,
  type TestBackend,
} from '@moim/kit/testing';

export interface GqlResult<T> {
  status: number;
  data: T;
  errors?: Array<{ message: string; extensions?: { code?: string; field?: string; [k: string]: unknown } }>;
}

export interface Graph {
  backend: TestBackend;
  /** The gateway's GraphQL URL. */
  url: string;
  gateway: Gateway;
  services: ReadonlyMap<ServiceName, RunningService>;
  service<D extends ServiceDeps = ServiceDeps>(name: ServiceName): RunningService<D>;
  subgraphUrl(name: ServiceName): string;
  /**
   * POSTs an operation to the gateway. Each call comes from a random client address (the
   * gateway trusts one proxy hop here), so per-IP limits are never shared between tests; pass
   * `ip` to act as one client.
   */
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
    options?: { ip?: string },
  ): Promise<GqlResult<T>>;
  signUp(
    nickname: string,
    password?: string,
  ): Promise<{ id: string; token: string; refreshToken: string; email: string }>;
  /** Signs up someone new whose nickname is `prefix` and a number unique in this graph. */
  person(prefix: string): Promise<Account>;
  /**
   * A SOSOLOG review by the holder of `token` (on a product of its own), once social knows of it
   * (its review.created event applied): ready to be liked and commented on.
   */
  reviewBy(token: string, body?: string): Promise<string>;
  /**
   * An upload as an app makes it — createUpload through the gateway, PUT of the bytes to the
   * signed URL, completeUpload — resolving to the media id (its resize queued, not awaited).
   */
  upload(
    token: string,
    bytes: Buffer,
    options?: { contentType?: string; purpose?: 'REVIEW' | 'POST' | 'AVATAR' | 'CHAT' },
  ): Promise<string>;
  makeAdmin(userId: string): Promise<string>;
  /**
   * Another gateway in front of this graph's subgraphs — some reached through `urls` instead (a
   * proxy, a stub) — with `env` on top (NODE_ENV=production, timeouts); stopped with the graph.
   */
  anotherGateway(options?: {
    urls?: Partial<Record<ServiceName, string>>;
    env?: Record<string, string>;
  }): Promise<{ gateway: Gateway; url: string }>;
  /**
   * A second API replica of a service on the same database; on `servers` with its own Redis
   * connections (queues, pub/sub), as another pod would have. Resolves to its GraphQL URL.
   */
  anotherInstance(name: ServiceName, env?: Record<string, string>): Promise<string>;
  /** Resolves once every recorded event has been relayed and applied (within `timeoutMs`, 20 s by default). */
  settled(timeoutMs?: number): Promise<void>;
  /**
   * Settled, and `queue` has nothing waiting, running or delayed either, twice in a row (a job
   * may record a delayed follow-up, as a push does for the devices to try again).
   */
  drained(queue: string): Promise<void>;
  stop(): Promise<void>;
}

/** A client address of its own, so per-address limits are never shared between tests. */
export const randomClientIp = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

export const TEST_PASSWORD = 'correct-horse-battery';

export interface Account {
  id: string;
  token: string;
  refreshToken: string;
  email: string;
  nickname: string;
}

/** The data of a result that must have no errors. */
export function ok<T>(res: GqlResult<T>): T {
  if (res.errors) throw new Error(`Unexpected errors: ${JSON.stringify(res.errors)}`);
  return res.data;
}

/** The first error's code, or undefined. */
export const codeOf = (res: GqlResult<unknown>) => res.errors?.[0]?.extensions?.code;

/**
 * The whole graph in this process on free ports, every service of the service list on a
 * throwaway backend (`servers`: fresh MariaDB databases and Redis prefix; `embedded`: a fresh
 * data folder), and the gateway in front. `env` adds variables per service. `redisUrl` (servers
 * only): the services reach Redis there — job queues, pub/sub and rate limits — e.g. through a
 * proxy a test can cut.
 */
export async function startGraph(
  options: {
    backend?: BackendKind;
    env?: Partial<Record<ServiceName, Record<string, string>>>;
    redisUrl?: string;
  } = {},
): Promise<Graph> {
  const backend = await openTestBackend(options.backend ?? TEST_BACKEND);
  let proxied: Backend | undefined;
  const databases = new Map<ServiceName, string | undefined>();
  for (const { name } of SERVICES) databases.set(name, await backend.databaseUrl(name));
  let started: StartedServices | undefined;
  let gateway: Gateway | undefined;
  const others: Gateway[] = [];
  const replicas: Array<{ stop(): Promise<void> }> = [];
  // Media's files (local storage) in a folder of this graph's; its upload URLs must name the
  // port it really listens on, so the port is picked before it starts.
  const mediaDir = mkdtempSync(join(tmpdir(), 'moim-media-'));
  const stop = async () => {
    for (const other of others) await other.stop();
    await gateway?.stop();
    for (const replica of replicas) await replica.stop();
    await started?.stop();
    await proxied?.close();
    await backend.cleanUp();
    rmSync(mediaDir, { recursive: true, force: true });
  };
  try {
    if (options.redisUrl) {
      if (backend.kind !== 'servers') throw new Error('redisUrl needs the servers backend');
      proxied = await openBackend(
        {
          MOIM_BACKEND: 'servers',
          REDIS_URL: options.redisUrl,
          REDIS_PREFIX: backend.env.REDIS_PREFIX!,
          DATA_DIR: '.data',
        },
        createLogger('test-redis', TEST_LOG_LEVEL),
      );
    }
    const running: Backend = proxied ?? backend.backend;
    const mediaPort = await closedPort();
    const mediaEnv = {
      PORT: String(mediaPort),
      MEDIA_PUBLIC_URL: `http://127.0.0.1:${mediaPort}`,
      MEDIA_DIR: mediaDir,
    };
    started = await startServices({
      backend: running,
      env: (name) =>
        testEnv({
          ...backend.env,
          DATABASE_URL: databases.get(name),
          PORT: '0',
          ...(name === 'media' ? mediaEnv : {}),
          ...options.env?.[name],
        }),
    });
    const { services, urls } = started;
    const gatewayEnv = (subgraphs: Partial<Record<ServiceName, string>>, env: Record<string, string>) =>
      loadGatewayEnv(
        testEnv({
          TRUSTED_PROXY_HOPS: '1',
          ...Object.fromEntries(
            [...urls].map(([name, url]) => [`SUBGRAPH_${envStem(name)}_URL`, subgraphs[name] ?? url]),
          ),
          ...backend.env,
          ...env,
        }),
      );
    // The first gateway shares the services' pub/sub, as npm start does; others open their own
    // Redis connection (embedded, there is only the one in this process).
    gateway = await createGateway(gatewayEnv({}, {}), undefined, { pubsub: running.pubsub });
    const url = `${await gateway.listen(0, '127.0.0.1')}/graphql`;

    const gql: Graph['gql'] = async (query, variables, token, { ip } = {}) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': ip ?? randomClientIp(),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, ...((await res.json()) as object) } as GqlResult<never>;
    };
    const service = <D extends ServiceDeps>(name: ServiceName) => {
      const s = services.get(name);
      if (!s) throw new Error(`No service ${name} in the graph`);
      return s as unknown as RunningService<D>;
    };

    let people = 0;
    const signUp: Graph['signUp'] = async (nickname, password = TEST_PASSWORD) => {
      const email = `${nickname.toLowerCase()}-${randomUUID().slice(0, 8)}@example.com`;
      const res = await gql<{
        signUp: { accessToken: string; refreshToken: string; user: { id: string } };
      }>(
        'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken refreshToken user { id } } }',
        { input: { email, password, nickname } },
      );
      if (res.errors) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
      const p = res.data.signUp;
      return { id: p.user.id, token: p.accessToken, refreshToken: p.refreshToken, email };
    };
    const settled = (timeoutMs?: number) =>
      waitUntilSettled([...services.values()], running.queues, timeoutMs);

    return {
      backend,
      url,
      gateway,
      services,
      service,
      subgraphUrl: (name) => urls.get(name)!,
      gql,
      signUp,
      async person(prefix) {
        const nickname = `${prefix}${++people}`;
        return { ...(await signUp(nickname)), nickname };
      },
      async reviewBy(token, body = 'Crunchy and cheap') {
        const product = ok(
          await gql<{ createProduct: { id: string } }>(
            'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
            { input: { name: `Snack ${randomUUID().slice(0, 8)}`, category: 'snack' } },
            token,
          ),
        );
        const review = ok(
          await gql<{ createReview: { id: string } }>(
            'mutation($input: CreateReviewInput!) { createReview(input: $input) { id } }',
            { input: { kind: 'SOSOLOG', body, rating: 4, productId: product.createProduct.id } },
            token,
          ),
        );
        await settled();
        return review.createReview.id;
      },
      async upload(token, bytes, { contentType = 'image/jpeg', purpose = 'REVIEW' } = {}) {
        const { createUpload: ticket } = ok(
          await gql<{
            createUpload: {
              media: { id: string };
              uploadUrl: string;
              method: string;
              headers: Array<{ name: string; value: string }>;
            };
          }>(
            `mutation($input: CreateUploadInput!) {
              createUpload(input: $input) { media { id } uploadUrl method headers { name value } }
            }`,
            { input: { contentType, byteSize: bytes.length, purpose } },
            token,
          ),
        );
        const put = await fetch(ticket.uploadUrl, {
          method: ticket.method,
          headers: Object.fromEntries(ticket.headers.map((h) => [h.name, h.value])),
          body: bytes,
        });
        if (!put.ok) throw new Error(`PUT of the upload failed: ${put.status} ${await put.text()}`);
        ok(
          await gql(
            'mutation($id: ID!) { completeUpload(mediaId: $id) { id } }',
            { id: ticket.media.id },
            token,
          ),
        );
        return ticket.media.id;
      },
      async makeAdmin(userId) {
        const users = service('social').deps.db.dataSource.getRepository<{ id: string; email: string }>(
          'User',
        );
        await users.update({ id: userId }, { role: 'ADMIN' } as never);
        const user = await users.findOneByOrFail({ id: userId });
        const res = await gql<{ logIn: { accessToken: string } }>(
          'mutation($input: LogInInput!) { logIn(input: $input) { accessToken } }',
          { input: { email: user.email, password: TEST_PASSWORD } },
        );
        if (res.errors) throw new Error(`logIn failed: ${JSON.stringify(res.errors)}`);
        return res.data.logIn.accessToken;
      },
      async anotherGateway({ urls: subgraphs = {}, env = {} } = {}) {
        // A free metrics port: production serves metrics on a fixed one.
        const created = await createGateway(
          gatewayEnv(subgraphs, { METRICS_PORT: '0', ...env }),
          undefined,
          backend.kind === 'embedded' ? { pubsub: running.pubsub } : {},
        );
        // A test may stop it early; the graph stops it again, once.
        let stopping: Promise<void> | undefined;
        const other: Gateway = { ...created, stop: () => (stopping ??= created.stop()) };
        others.push(other);
        return { gateway: other, url: `${await other.listen(0, '127.0.0.1')}/graphql` };
      },
      async anotherInstance(name, env = {}) {
        const module = await loadServiceModule(name);
        const config = module.loadEnv(
          testEnv({ ...backend.env, DATABASE_URL: databases.get(name), PORT: '0', ...env }),
        );
        const own =
          backend.kind === 'servers'
            ? await openBackend(
                {
                  MOIM_BACKEND: 'servers',
                  REDIS_URL: options.redisUrl ?? backend.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
                  REDIS_PREFIX: backend.env.REDIS_PREFIX!,
                  DATA_DIR: '.data',
                },
                createLogger(`test-${name}-2`, TEST_LOG_LEVEL),
              )
            : null;
        const replica = await startService(module.define(config), config, {
          backend: own ?? running,
          role: 'api',
        });
        replicas.push({
          async stop() {
            await replica.stop();
            await own?.close();
          },
        });
        return `${await replica.listen(0, '127.0.0.1')}/graphql`;
      },
      settled,
      async drained(queue) {
        let quiet = 0;
        await eventually(async () => {
          await settled();
          const c = await running.queues.counts(queue);
          quiet = c.waiting + c.active + c.delayed === 0 ? quiet + 1 : 0;
          return quiet >= 2;
        }, 25_000);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * POSTs a raw body (bytes or text, sent as JSON) from a random client address: the status, the
 * text, the parsed JSON when it is JSON, and the first error's code.
 */
export async function postRaw(url: string, body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': randomClientIp(),
      ...headers,
    },
    body,
  });
  const text = await res.text();
  let json: GqlResult<unknown> | null = null;
  try {
    json = JSON.parse(text) as GqlResult<unknown>;
  } catch {
    // not JSON: the text tells
  }
  return { status: res.status, text, json, code: json?.errors?.[0]?.extensions?.code };
}
