import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SERVICES } from '@moim/events';
import { COMPONENTS } from '../components';
import { ADMIN, ROOT } from './manifests';

// docker-compose.yml as Compose itself reads it: Debian's docker-compose renders it without an
// engine (`docker-compose config`: anchors merged, variables substituted, the file validated).

interface ComposeService {
  image?: string;
  build?: { context: string; target?: string };
  ports?: Array<{ published: number | string; target: number }>;
  tmpfs?: string[];
  stop_grace_period?: string;
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  volumes?: Array<string | { source: string; target: string }>;
  read_only?: boolean;
}

let services: Record<string, ComposeService>;
let volumes: Record<string, unknown>;

beforeAll(() => {
  const run = spawnSync('docker-compose', ['config'], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
  });
  if (run.error)
    throw new Error(`docker-compose is needed (apt-get install docker-compose): ${run.error.message}`);
  expect(run.stderr).not.toMatch(/error|invalid/i);
  expect(run.status).toBe(0);
  ({ services, volumes } = parse(run.stdout) as {
    services: Record<string, ComposeService>;
    volumes: Record<string, unknown>;
  });
});

const SUPPORT = ['mysql', 'redis', 'migrate', 'seed'];
const mediaMount = (s: ComposeService) =>
  (s.volumes ?? []).map((v) => (typeof v === 'string' ? v.replace(/:rw$/, '') : `${v.source}:${v.target}`));
const dependsOn = (s: ComposeService) =>
  Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([name, d]) => [name, d.condition]));

describe('docker-compose.yml', () => {
  it('runs exactly the components of the deployment and the admin console, besides MySQL, Redis, migrate and seed (both ways)', () => {
    expect(Object.keys(services).sort()).toEqual(
      [...COMPONENTS.map((c) => c.name), ADMIN.name, ...SUPPORT].sort(),
    );
  });

  it("runs the admin console from the Dockerfile's admin target, published, proxying to the gateway", () => {
    const admin = services[ADMIN.name]!;
    expect(admin.build).toEqual({ context: ROOT.replace(/\/$/, ''), target: ADMIN.name });
    expect(admin.image).not.toBe('moim:local');
    expect(admin.ports).toEqual([expect.objectContaining({ published: ADMIN.port, target: ADMIN.port })]);
    const gateway = COMPONENTS.find((c) => c.kind === 'gateway')!;
    expect(admin.environment?.[ADMIN.gatewayVariable]).toBe(`http://${gateway.name}:${gateway.port}`);
    expect(dependsOn(admin)).toEqual({ [gateway.name]: 'service_healthy' });
    expect(admin.healthcheck?.disable).toBeUndefined();
    expect(admin.healthcheck?.test?.join(' ')).toContain(`http://127.0.0.1:${ADMIN.port}${ADMIN.health}`);
    // The image writes only to /tmp.
    expect(admin.read_only).toBe(true);
    expect(admin.tmpfs).toEqual(['/tmp']);
    expect(admin.stop_grace_period).toBe('35s');
  });

  it('runs MySQL 8 and Redis 7 with health checks and named volumes', () => {
    expect(services.mysql!.image).toMatch(/^mysql:8(\.|$)/);
    expect(services.redis!.image).toMatch(/^redis:7(\.|-|$)/);
    for (const name of ['mysql', 'redis'])
      expect(services[name]!.healthcheck?.test?.length).toBeGreaterThan(0);
    expect(Object.keys(volumes).sort()).toEqual(['media', 'mysql-data', 'redis-data']);
  });

  it('builds one image and runs each component with its own command, port and health check on /health/ready', () => {
    for (const c of COMPONENTS) {
      const s = services[c.name]!;
      expect(s.image, c.name).toBe('moim:local');
      expect(s.build?.context, c.name).toBe(ROOT.replace(/\/$/, ''));
      expect(s.command, c.name).toEqual([c.name]);
      expect(s.read_only, c.name).toBe(true);
      const portVariable = c.kind === 'worker' ? 'WORKER_PORT' : 'PORT';
      expect(s.environment?.[portVariable], c.name).toBe(String(c.port));
      expect(s.healthcheck?.disable, c.name).toBeUndefined();
      expect(s.healthcheck?.test?.join(' '), c.name).toContain('/health/ready');
      for (const [key, value] of Object.entries(c.env)) expect(s.environment?.[key], c.name).toBe(value);
    }
  });

  it('starts the services after the migrate one-shot succeeded, and the gateway after healthy subgraphs', () => {
    expect(services.migrate!.command).toEqual(['migrate']);
    expect(dependsOn(services.migrate!)).toEqual({ mysql: 'service_healthy' });
    expect(services.seed!.command).toEqual(['seed']);
    expect(dependsOn(services.seed!)).toEqual({
      migrate: 'service_completed_successfully',
      redis: 'service_healthy',
    });
    for (const c of COMPONENTS.filter((c) => c.kind !== 'gateway'))
      expect(dependsOn(services[c.name]!), c.name).toEqual({
        migrate: 'service_completed_successfully',
        redis: 'service_healthy',
      });
    expect(dependsOn(services.gateway!)).toEqual({
      redis: 'service_healthy',
      ...Object.fromEntries(SERVICES.map((s) => [s.name, 'service_healthy'])),
    });
  });

  it("gives each service its own database, migrate every one, the gateway every subgraph's address", () => {
    const env = (name: string) => services[name]!.environment!;
    for (const c of COMPONENTS.filter((c) => c.service))
      expect(env(c.name).DATABASE_URL, c.name).toMatch(
        new RegExp(`@mysql:3306/moim_${c.service!.replace(/-/g, '_')}$`),
      );
    for (const { name, port } of SERVICES) {
      const stem = name.toUpperCase().replace(/-/g, '_');
      expect(env('migrate')[`${stem}_DATABASE_URL`]).toMatch(new RegExp(`/moim_${stem.toLowerCase()}$`));
      expect(env('gateway')[`SUBGRAPH_${stem}_URL`]).toBe(`http://${name}:${port}/graphql`);
    }
    for (const c of COMPONENTS) expect(env(c.name).MIGRATE_ON_START, c.name).toBe('false');
  });

  it('shares the media volume between media and its resize worker, where MEDIA_DIR points', () => {
    for (const name of ['media', 'media-worker', 'seed']) {
      expect(mediaMount(services[name]!)).toEqual([`media:${services[name]!.environment!.MEDIA_DIR}`]);
    }
  });
});
