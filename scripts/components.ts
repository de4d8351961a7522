import { envStem, eventQueueName, maintenanceQueueName, SERVICES, type ServiceName } from '@moim/events';

/**
 * The long-running processes of a deployment, one container (Deployment, compose service) each,
 * all from the one image: its command is the component's name. docker-compose.yml, the kustomize
 * base and the Helm chart deploy exactly these, with these ports and probes; tests hold them to
 * this list both ways.
 */
export interface Component {
  name: string;
  kind: 'gateway' | 'subgraph' | 'worker';
  /** The service whose database and configuration it uses (none for the gateway). */
  service?: ServiceName;
  /** The port serving /health/live, /health/ready and /metrics (and GraphQL, but for workers). */
  port: number;
  /** The gateway's /metrics in production (METRICS_PORT). */
  metricsPort?: number;
  /** Environment of its own, beside the deployment's shared configuration. */
  env: Record<string, string>;
}

export const GATEWAY_PORT = 4000;
export const GATEWAY_METRICS_PORT = 9464;
/** A worker serves its health and metrics on its API port + 100 (WORKER_PORT's default). */
const WORKER_PORT_OFFSET = 100;

/**
 * Workers split by queue where the work scales apart: social's pushes run in their own pool, its
 * main worker keeps events and maintenance.
 */
const SPLIT_WORKERS: Partial<Record<ServiceName, Array<{ suffix: string; queues: string[] }>>> = {
  social: [
    { suffix: 'worker', queues: [eventQueueName('social'), maintenanceQueueName('social')] },
    { suffix: 'push-worker', queues: ['push'] },
  ],
};

export const COMPONENTS: readonly Component[] = [
  { name: 'gateway', kind: 'gateway', port: GATEWAY_PORT, metricsPort: GATEWAY_METRICS_PORT, env: {} },
  ...SERVICES.map(({ name, port }): Component => ({ name, kind: 'subgraph', service: name, port, env: {} })),
  ...SERVICES.flatMap(({ name, port }) =>
    (SPLIT_WORKERS[name] ?? [{ suffix: 'worker', queues: [] }]).map(({ suffix, queues }): Component => ({
      name: `${name}-${suffix}`,
      kind: 'worker',
      service: name,
      port: port + WORKER_PORT_OFFSET,
      env: queues.length ? { WORKER_QUEUES: queues.join(',') } : {},
    })),
  ),
];

/**
 * What the image runs besides the components: one-shot commands (`seed` loads the demo data, for
 * development and staging: docker compose runs it once).
 */
export const ONE_SHOTS = ['migrate', 'create-admin', 'import', 'seed', 'reindex'] as const;

/** The variable holding a service's database URL in the shared secret (`COURSE_CATALOG_DATABASE_URL`). */
export const databaseUrlKey = (service: ServiceName): string => `${envStem(service)}_DATABASE_URL`;
