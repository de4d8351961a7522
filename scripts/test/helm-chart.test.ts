import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { COMPONENTS, databaseUrlKey } from '../components';
import {
  ADMIN,
  ADMIN_SHAPE,
  CHART,
  COMPONENT_LABEL,
  containerShape,
  deploymentsByComponent,
  helmTemplate,
  parseManifests,
  podProblems,
  renderChart,
  ROOT,
  runTool,
  schemaProblems,
  selects,
  subgraphIngressProblems,
  type K8sObject,
} from './manifests';

// The Helm chart (helm/moim) as the real helm renders it, with its default and production values:
// valid Kubernetes objects that deploy exactly the components of scripts/components.ts, roll
// safely, keep secrets in the Secret, and refuse bad values with a message naming them.

const VALUES = { default: [], production: ['values-production.yaml'] } as const;
const SUBGRAPHS = COMPONENTS.filter((c) => c.kind === 'subgraph').map((c) => c.name);
const SERVED = [...COMPONENTS.filter((c) => c.kind !== 'worker').map((c) => c.name), ADMIN.name];
const METRICS_PORT = COMPONENTS.find((c) => c.name === 'gateway')!.metricsPort!;
const METRICS_LABEL = 'moim.app/metrics';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML */
type EnvVar = { name: string; value?: string; valueFrom?: any };
const containerOf = (workload: K8sObject) => workload.spec.template.spec.containers[0];
const envOf = (workload: K8sObject): EnvVar[] => containerOf(workload).env ?? [];
const secretKeyOf = (env: EnvVar[], name: string): string | undefined =>
  env.find((e) => e.name === name)?.valueFrom?.secretKeyRef?.key;
const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
/* eslint-enable @typescript-eslint/no-explicit-any */

/** `helm template` with `--set-json`s (typed values: numbers, lists) and `--set`s. */
const helmTemplateJson = (json: string[], set: string[] = []) =>
  runTool('helm', [
    'template',
    'moim',
    CHART,
    ...json.flatMap((j) => ['--set-json', j]),
    ...set.flatMap((s) => ['--set', s]),
  ]);

const isMetricsService = (service: K8sObject) => service.metadata.labels?.[METRICS_LABEL] === 'true';

/** The ingress rules of the NetworkPolicies selecting the gateway's pods: ports, and peers (none: anyone). */
function gatewayRules(objects: K8sObject[]): Array<{ ports: Array<string | number>; from?: unknown[] }> {
  const pods = deploymentsByComponent(objects).get('gateway')!.spec.template.metadata.labels;
  return byKind(objects, 'NetworkPolicy')
    .filter((p) => selects(p.spec.podSelector, pods))
    .flatMap((p) => p.spec.ingress ?? [])
    .map((rule: { ports?: Array<{ port: string | number }>; from?: unknown[] }) => ({
      ports: (rule.ports ?? []).map((p) => p.port),
      ...(rule.from && { from: rule.from }),
    }));
}
const MONITORING = [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }];

/** One template's output, as helm printed it after its `# Source:` line. */
function renderedSource(stdout: string, template: string): string {
  const start = stdout.indexOf(`# Source: moim/templates/${template}\n`);
  if (start < 0) throw new Error(`${template} was not rendered`);
  const body = stdout.slice(stdout.indexOf('\n', start) + 1);
  const end = body.indexOf('\n---\n');
  return `${(end < 0 ? body : body.slice(0, end)).replace(/\n+$/, '')}\n`;
}

/** The config checksums of the components' pods (the admin console reads no configuration). */
const checksumsOf = (objects: K8sObject[]) =>
  new Set(
    [...deploymentsByComponent(objects)]
      .filter(([name]) => name !== ADMIN.name)
      .map(([, d]) => d.spec.template.metadata.annotations?.['checksum/config'] as string | undefined),
  );

/** Objects of the admin console (its component label). */
const adminObjects = (objects: K8sObject[]) =>
  objects.filter((o) => o.metadata.labels?.[COMPONENT_LABEL] === ADMIN.name);

describe('templates', () => {
  it('are named <kind>-<component>.yaml, with a Deployment and a PodDisruptionBudget file per component', () => {
    const files = readdirSync(`${CHART}/templates`);
    const others = ['_helpers.tpl', 'NOTES.txt', 'checks.yaml'];
    for (const file of files.filter((f) => !others.includes(f)))
      expect(file).toMatch(
        /^(deployment|service|hpa|pdb|job|configmap|networkpolicy|ingress|servicemonitor|pvc|serviceaccount)-[a-z-]+\.yaml$/,
      );
    for (const name of [...COMPONENTS.map((c) => c.name), ADMIN.name]) {
      expect(files).toContain(`deployment-${name}.yaml`);
      expect(files).toContain(`pdb-${name}.yaml`);
    }
  });
});

describe('helm lint', () => {
  it.each(Object.entries(VALUES))('passes with %s values, without errors or warnings', (_, files) => {
    const run = runTool('helm', ['lint', CHART, ...files.flatMap((f) => ['-f', `${CHART}/${f}`])]);
    expect(run.stdout + run.stderr).not.toMatch(/\[(ERROR|WARNING)\]/);
    expect(run.status).toBe(0);
  });
});

describe.each(Object.entries(VALUES))('helm template with %s values', (name, files) => {
  let objects: K8sObject[];
  let deployments: Map<string, K8sObject>;
  beforeAll(() => {
    objects = renderChart([...files]);
    deployments = deploymentsByComponent(objects);
  });

  it('renders objects the Kubernetes schemas accept', async () => {
    expect(objects.length).toBeGreaterThan(30);
    expect(await schemaProblems(objects)).toEqual([]);
  });

  it('runs every container non-root, read-only, pinned, with requests and probes, no credential inline', () => {
    expect(podProblems(objects)).toEqual([]);
    expect(byKind(objects, 'Secret')).toEqual([]);
  });

  it('lets only the gateway reach the subgraphs', () => {
    expect(subgraphIngressProblems(objects, SUBGRAPHS)).toEqual([]);
  });

  it('deploys exactly the components and the admin console, each with its command, port and probes', () => {
    expect([...deployments.keys()].sort()).toEqual([...COMPONENTS.map((c) => c.name), ADMIN.name].sort());
    expect(byKind(objects, 'Deployment')).toHaveLength(COMPONENTS.length + 1);
    expect(containerShape(deployments.get(ADMIN.name)!)).toEqual(ADMIN_SHAPE);
    for (const component of COMPONENTS) {
      const deployment = deployments.get(component.name)!;
      const ports = {
        http: component.port,
        ...(component.metricsPort && { metrics: component.metricsPort }),
      };
      expect(containerShape(deployment), component.name).toEqual({
        args: [component.name],
        ports,
        liveness: { path: '/health/live', port: component.port },
        readiness: { path: '/health/ready', port: component.port },
        startup: { path: '/health/live', port: component.port, seconds: expect.any(Number) },
      });
      const labels = deployment.spec.template.metadata.labels;
      expect(labels, component.name).toMatchObject({
        'app.kubernetes.io/name': 'moim',
        'app.kubernetes.io/part-of': 'moim',
        'moim.app/kind': component.kind,
      });
      expect(containerOf(deployment).name).toBe(component.name);
    }
  });

  it("gives each process its port, its own environment and its own service's database only", () => {
    for (const component of COMPONENTS) {
      const env = envOf(deployments.get(component.name)!);
      const value = (key: string) => env.find((e) => e.name === key)?.value;
      expect(value(component.kind === 'worker' ? 'WORKER_PORT' : 'PORT'), component.name).toBe(
        String(component.port),
      );
      for (const [key, v] of Object.entries(component.env)) expect(value(key), component.name).toBe(v);
      for (const key of ['INTERNAL_SECRET', 'JWT_SECRET', 'REDIS_URL'])
        expect(secretKeyOf(env, key), `${component.name} ${key}`).toBe(key);
      expect(secretKeyOf(env, 'DATABASE_URL'), component.name).toBe(
        component.service && databaseUrlKey(component.service),
      );
      const databaseKeys = env.filter((e) => /DATABASE_URL/.test(e.valueFrom?.secretKeyRef?.key ?? ''));
      expect(databaseKeys.length, component.name).toBe(component.service ? 1 : 0);
    }
  });

  it("points the gateway at each subgraph's Service and port", () => {
    const services = new Map(byKind(objects, 'Service').map((s) => [s.metadata.name, s]));
    const env = envOf(deployments.get('gateway')!);
    for (const subgraph of COMPONENTS.filter((c) => c.kind === 'subgraph')) {
      const variable = `SUBGRAPH_${subgraph.name.toUpperCase().replace(/-/g, '_')}_URL`;
      const url = new URL(env.find((e) => e.name === variable)?.value ?? 'http://missing');
      const service = services.get(url.hostname);
      expect(service, `${variable}=${url}`).toBeDefined();
      expect(url.pathname).toBe('/graphql');
      expect(service!.spec.ports.map((p: { port: number }) => p.port)).toContain(Number(url.port));
      expect(selects(service!.spec, deployments.get(subgraph.name)!.spec.template.metadata.labels)).toBe(
        true,
      );
    }
  });

  it('has a Service for the gateway and each subgraph, none for workers, no session affinity', () => {
    const services = byKind(objects, 'Service');
    const served = services
      .filter((s) => !isMetricsService(s))
      .map((s) => s.metadata.labels[COMPONENT_LABEL])
      .sort();
    expect(served).toEqual([...SERVED].sort());
    for (const service of services) {
      expect(service.spec.sessionAffinity ?? 'None').toBe('None');
      const component = service.metadata.labels[COMPONENT_LABEL];
      const pods = deployments.get(component)!.spec.template.metadata.labels;
      expect(selects({ matchLabels: service.spec.selector }, pods), component).toBe(true);
    }
  });

  it('rolls every Deployment without going below its ready replicas', () => {
    for (const [component, deployment] of deployments) {
      expect(deployment.spec.strategy, component).toMatchObject({
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 0 },
      });
      expect(deployment.spec.minReadySeconds, component).toBeGreaterThan(0);
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds, component).toBeGreaterThanOrEqual(
        35,
      );
    }
    const gateway = deployments.get('gateway')!;
    expect(gateway.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(60);
    expect(containerOf(gateway).lifecycle?.preStop?.sleep?.seconds).toBeGreaterThan(0);
    // A subgraph pauses too before it stops accepting: the gateway's requests keep coming until
    // the endpoints drop the pod. Then up to 30 s of draining.
    for (const component of SUBGRAPHS) {
      const deployment = deployments.get(component)!;
      expect(containerOf(deployment).lifecycle?.preStop?.sleep?.seconds, component).toBe(5);
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds, component).toBeGreaterThanOrEqual(
        40,
      );
    }
  });

  it('gives subgraphs and workers five minutes to start (they wait for their migrations)', () => {
    for (const [component, deployment] of deployments) {
      if (component === ADMIN.name) continue;
      const { startupProbe, livenessProbe, readinessProbe } = containerOf(deployment);
      const budget = startupProbe.periodSeconds * startupProbe.failureThreshold;
      if (component === 'gateway') expect(budget).toBeGreaterThanOrEqual(60);
      else expect(budget, component).toBeGreaterThanOrEqual(300);
      expect(startupProbe.httpGet, component).toEqual({ path: '/health/live', port: 'http' });
      // Once started, liveness and readiness answer as before.
      expect(livenessProbe, component).toMatchObject({ periodSeconds: 10, failureThreshold: 3 });
      expect(readinessProbe, component).toMatchObject({ periodSeconds: 5, failureThreshold: 2 });
    }
  });

  it('keeps the metrics port off the gateway Service: a ClusterIP Service of its own, open to monitoring', () => {
    const services = byKind(objects, 'Service');
    const gatewayPods = deployments.get('gateway')!.spec.template.metadata.labels;
    const gateway = services.filter(
      (s) => !isMetricsService(s) && selects({ matchLabels: s.spec.selector }, gatewayPods),
    );
    expect(gateway).toHaveLength(1);
    expect(gateway[0]!.spec.ports.map((p: { name: string }) => p.name)).toEqual(['http']);
    const metrics = services.filter(isMetricsService);
    expect(metrics.map((s) => s.metadata.name)).toEqual([`${gateway[0]!.metadata.name}-metrics`]);
    expect(metrics[0]!.spec.type).toBe('ClusterIP');
    expect(metrics[0]!.spec.ports).toEqual([{ name: 'metrics', port: METRICS_PORT, targetPort: 'metrics' }]);
    expect(selects({ matchLabels: metrics[0]!.spec.selector }, gatewayPods)).toBe(true);
    expect(gatewayRules(objects)).toEqual([{ ports: ['http'] }, { ports: ['metrics'], from: MONITORING }]);
    for (const monitor of byKind(objects, 'ServiceMonitor')) {
      expect(services.filter((s) => selects(monitor.spec.selector, s.metadata.labels))).toEqual(metrics);
      expect(monitor.spec.endpoints.map((e: { port: string }) => e.port)).toEqual(['metrics']);
    }
  });

  it('has one PodDisruptionBudget per Deployment', () => {
    const budgets = byKind(objects, 'PodDisruptionBudget');
    expect(budgets).toHaveLength(deployments.size);
    for (const [component, deployment] of deployments) {
      const covering = budgets.filter((b) =>
        selects(b.spec.selector, deployment.spec.template.metadata.labels),
      );
      expect(
        covering.map((b) => b.spec.maxUnavailable),
        component,
      ).toEqual([1]);
    }
  });

  it("serves the admin console from its own image, the release's tag, proxying to the gateway's Service", () => {
    const admin = deployments.get(ADMIN.name)!;
    const container = containerOf(admin);
    const release = containerOf(deployments.get('gateway')!).image.split(':').at(-1);
    expect(container.image).toBe(`${ADMIN.image}:${release}`);
    // No configuration, no secret, no service account of the chart's (Workload Identity's): it needs none.
    expect(container.envFrom).toBeUndefined();
    expect(envOf(admin).filter((e) => e.valueFrom)).toEqual([]);
    expect(admin.spec.template.spec.serviceAccountName).toBeUndefined();
    const url = new URL(
      envOf(admin).find((e) => e.name === ADMIN.gatewayVariable)?.value ?? 'http://missing',
    );
    expect(url.pathname).toBe('/');
    const service = byKind(objects, 'Service').find((s) => s.metadata.name === url.hostname);
    expect(service, url.hostname).toBeDefined();
    expect(service!.spec.ports.map((p: { port: number }) => p.port)).toContain(Number(url.port));
    expect(
      selects(
        { matchLabels: service!.spec.selector },
        deployments.get('gateway')!.spec.template.metadata.labels,
      ),
    ).toBe(true);
    // nginx writes its pid, temp files and rendered server to /tmp, on an emptyDir.
    const tmp = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
    expect(
      admin.spec.template.spec.volumes.find((v: { name: string }) => v.name === tmp?.name)?.emptyDir,
    ).toBeDefined();
    expect(container.lifecycle?.preStop?.sleep?.seconds).toBeGreaterThan(0);
  });

  it("lets only networkPolicy.adminFrom reach the console's pods, and them reach only the gateway and DNS", () => {
    const pods = deployments.get(ADMIN.name)!.spec.template.metadata.labels;
    const policies = byKind(objects, 'NetworkPolicy').filter((p) => selects(p.spec.podSelector, pods));
    expect(policies.flatMap((p) => p.spec.ingress ?? [])).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
        ports: [{ port: 'http' }],
      },
    ]);
    const restricting = policies.filter((p) => (p.spec.policyTypes ?? []).includes('Egress'));
    expect(restricting).toHaveLength(1);
    const egress = restricting[0]!.spec.egress as Array<{
      to?: Array<{ podSelector: object }>;
      ports: unknown[];
    }>;
    const gateway = COMPONENTS.find((c) => c.kind === 'gateway')!;
    expect(egress).toEqual([
      { to: [expect.anything()], ports: [{ port: gateway.port, protocol: 'TCP' }] },
      {
        ports: [
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ],
      },
    ]);
    // The peer is the gateway's pods, and no other Deployment's.
    for (const [name, d] of deployments)
      expect(selects(egress[0]!.to![0]!.podSelector, d.spec.template.metadata.labels), name).toBe(
        name === 'gateway',
      );
  });

  it('migrates every database in a pre-install/pre-upgrade hook that needs none of the chart objects', () => {
    const jobs = byKind(objects, 'Job');
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    expect(job.spec.backoffLimit).toBe(2);
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(containerOf(job).args).toEqual(['migrate']);
    const env = envOf(job);
    for (const { service } of COMPONENTS.filter((c) => c.kind === 'subgraph'))
      expect(secretKeyOf(env, databaseUrlKey(service!)), service).toBe(databaseUrlKey(service!));
    // migrate parses every service's configuration: the shared one, given directly.
    const config = byKind(objects, 'ConfigMap').find((c) => c.data?.NODE_ENV)!;
    expect(config.data.NODE_ENV).toBe('production');
    for (const [key, value] of Object.entries(config.data))
      expect(env.find((e) => e.name === key)?.value, key).toBe(value);
    // At pre-install the chart's ConfigMaps, PVC and service account do not exist yet.
    expect(containerOf(job).envFrom).toBeUndefined();
    expect(pod.serviceAccountName).toBeUndefined();
    const chartObjects = new Set(objects.filter((o) => o !== job).map((o) => o.metadata.name));
    const referenced = JSON.stringify(pod).match(/"(name|claimName)":"[^"]+"/g) ?? [];
    expect(referenced.filter((r) => chartObjects.has(r.split('"')[3]!))).toEqual([]);
  });

  it("mounts the supergraph ConfigMap, exactly the gateway's file, as a directory in the gateway", () => {
    const [supergraph] = byKind(objects, 'ConfigMap').filter((c) => c.data?.['supergraph.graphql']);
    expect(supergraph!.data['supergraph.graphql']).toBe(
      readFileSync(`${ROOT}gateway/supergraph.graphql`, 'utf8'),
    );
    const gateway = deployments.get('gateway')!;
    const volume = gateway.spec.template.spec.volumes.find(
      (v: { configMap?: { name: string } }) => v.configMap?.name === supergraph!.metadata.name,
    );
    const mount = containerOf(gateway).volumeMounts.find((m: { name: string }) => m.name === volume?.name);
    expect(mount).toMatchObject({ mountPath: '/etc/moim/supergraph' });
    expect(mount.subPath).toBeUndefined();
    expect(envOf(gateway).find((e) => e.name === 'SUPERGRAPH_PATH')?.value).toBe(
      '/etc/moim/supergraph/supergraph.graphql',
    );
    for (const [component, deployment] of deployments)
      if (component !== 'gateway')
        expect(JSON.stringify(deployment.spec.template.spec), component).not.toContain(
          supergraph!.metadata.name,
        );
  });

  it('rolls pods on a configuration change: checksum/config is the config ConfigMap alone', () => {
    const run = helmTemplate([...files]);
    const checksums = checksumsOf(objects);
    expect(checksums.size).toBe(1);
    const config = renderedSource(run.stdout, 'configmap-config.yaml');
    expect(config).toMatch(/^kind: ConfigMap$/m);
    // The hash of exactly that document: the supergraph (which reloads live) is not in it.
    expect([...checksums][0]).toBe(createHash('sha256').update(config).digest('hex'));
    const debug = checksumsOf(renderChart([...files], ['logLevel=debug']));
    expect(debug.size).toBe(1);
    expect([...debug][0]).not.toBe([...checksums][0]);
  });

  if (name === 'production')
    it('runs two replicas or more, autoscales the gateway and chat, keeps media in the bucket', () => {
      const autoscalers = byKind(objects, 'HorizontalPodAutoscaler');
      const scaled = new Map(autoscalers.map((h) => [h.spec.scaleTargetRef.name as string, h]));
      expect([...scaled.keys()].sort()).toEqual(
        ['chat', 'gateway'].map((c) => deployments.get(c)!.metadata.name).sort(),
      );
      for (const [component, deployment] of deployments) {
        const hpa = scaled.get(deployment.metadata.name);
        expect(Boolean(hpa), component).toBe(component === 'gateway' || component === 'chat');
        if (hpa) {
          // The HPA owns the replica count: an upgrade must not reset it.
          expect(deployment.spec.replicas, component).toBeUndefined();
          expect(hpa.spec.minReplicas, component).toBeGreaterThanOrEqual(2);
          expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
        } else expect(deployment.spec.replicas, component).toBeGreaterThanOrEqual(2);
      }
      const config = byKind(objects, 'ConfigMap').find((c) => c.data?.MEDIA_STORAGE)!;
      expect(config.data).toMatchObject({ MEDIA_STORAGE: 'gcs', SMS_PROVIDER: 'sens' });
      expect(config.data.GCS_BUCKET).toBeTruthy();
      expect(byKind(objects, 'PersistentVolumeClaim')).toEqual([]);
      expect(byKind(objects, 'ServiceMonitor')).toHaveLength(1);
      for (const component of ['social', 'social-worker', 'social-push-worker'])
        expect(secretKeyOf(envOf(deployments.get(component)!), 'SENS_ACCESS_KEY'), component).toBe(
          'SENS_ACCESS_KEY',
        );
      // The console on the ingress's host under /admin, the gateway at the root (and /graphql).
      const [ingress] = byKind(objects, 'Ingress');
      const routes = Object.fromEntries(
        ingress!.spec.rules[0].http.paths.map(
          (p: {
            path: string;
            pathType: string;
            backend: { service: { name: string; port: { name: string } } };
          }) => [`${p.pathType} ${p.path}`, `${p.backend.service.name}:${p.backend.service.port.name}`],
        ),
      );
      expect(routes).toEqual({
        [`Prefix ${ADMIN.path.replace(/\/$/, '')}`]: `${deployments.get(ADMIN.name)!.metadata.name}:http`,
        'Prefix /': `${deployments.get('gateway')!.metadata.name}:http`,
      });
    });
  else
    it('runs one replica each, no autoscaler, media files on a volume shared by media and its worker', () => {
      expect(byKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
      for (const [component, deployment] of deployments) expect(deployment.spec.replicas, component).toBe(1);
      const [claim] = byKind(objects, 'PersistentVolumeClaim');
      expect(claim).toBeDefined();
      const mounting = [...deployments]
        .filter(([, d]) =>
          d.spec.template.spec.volumes.some(
            (v: { persistentVolumeClaim?: { claimName: string } }) =>
              v.persistentVolumeClaim?.claimName === claim!.metadata.name,
          ),
        )
        .map(([component]) => component);
      expect(mounting.sort()).toEqual(['media', 'media-worker']);
      for (const component of ['media', 'media-worker'])
        expect(
          containerOf(deployments.get(component)!).volumeMounts.map(
            (m: { mountPath: string }) => m.mountPath,
          ),
        ).toContain('/var/lib/moim/media');
      expect(byKind(objects, 'ServiceMonitor')).toEqual([]);
      expect(byKind(objects, 'Ingress')).toEqual([]);
    });
});

describe('values', () => {
  it('keeps a replica count of 0 (a component switched off), not the default', () => {
    const deployments = deploymentsByComponent(renderChart([], ['components.review-worker.replicas=0']));
    expect(deployments.get('review-worker')!.spec.replicas).toBe(0);
    expect(deployments.get('review')!.spec.replicas).toBe(1);
  });

  it.each([
    [['components.gateway.replicas=-1'], /at '\/components\/gateway\/replicas': minimum: got -1, want 0/],
    [['podDefaults.replicas=-1'], /at '\/podDefaults\/replicas': minimum: got -1, want 0/],
    [['image.tag='], /at '\/image\/tag': minLength: got 0, want 1/],
    [['image.tag=null'], /at '\/image': missing property 'tag'/],
    [['image.tag=latest'], /at '\/image\/tag': value must be 'a release tag such as 0.1.0, not latest'/],
    [['logLevel=verbose'], /at '\/logLevel': value must be one of 'fatal', 'error', 'warn', 'info', 'debug'/],
    [['media.storage=s3'], /at '\/media\/storage': value must be one of 'local', 'gcs'/],
    [['components.gatway.replicas=2'], /at '\/components': additional properties 'gatway' not allowed/],
    [
      ['components.review.autoscaling.enabled=true'],
      /at '\/components\/review': additional properties 'autoscaling'/,
    ],
    [
      ['components.gateway.terminationGracePeriodSeconds=10'],
      /terminationGracePeriodSeconds': minimum: got 10, want 35/,
    ],
    // The tag is the app.kubernetes.io/version label too: 63 characters at most.
    [
      [`image.tag=${'1'.repeat(64)}`],
      /at '\/image\/tag': value must be 'a tag usable as the app\.kubernetes\.io\/version label: at most 63 letters/,
    ],
    [
      ['image.tag=1.0.0+build'],
      /at '\/image\/tag': value must be 'a tag usable as the app\.kubernetes\.io\/version label/,
    ],
    [
      ['components.social.resources.requests.cpu=1e3m'],
      /at '\/components\/social\/resources\/requests\/cpu'/,
    ],
    [['components.social.preStopSleepSeconds=31'], /preStopSleepSeconds': maximum: got 31, want 30/],
    [
      ['admin.image.tag=latest'],
      /at '\/admin\/image\/tag': value must be 'a release tag such as 0.1.0, not latest'/,
    ],
    [['admin.replicas=-1'], /at '\/admin\/replicas': minimum: got -1, want 0/],
    [['admin.enabeld=true'], /at '\/admin': additional properties 'enabeld' not allowed/],
  ])('the schema refuses --set %s, naming the value', (set, message) => {
    const run = helmTemplate([], set);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it.each([
    [['media.storage=gcs'], /media\.storage=gcs needs media\.gcs\.bucket/],
    [
      ['components.chat.autoscaling.enabled=true', 'components.chat.autoscaling.minReplicas=9'],
      /components\.chat\.autoscaling: minReplicas \(9\) is more than maxReplicas \(6\)/,
    ],
    [
      ['extraEnv.PUSH_API_KEY=abc'],
      /extraEnv\.PUSH_API_KEY looks like a credential: add it to the secret moim-secrets/,
    ],
    [['extraEnv.LOG_LEVEL=debug'], /extraEnv\.LOG_LEVEL is set by the chart: use logLevel/],
    [
      ['components.review-worker.env.WORKER_QUEUES=x'],
      /components\.review-worker\.env\.WORKER_QUEUES is set by the chart/,
    ],
    [
      ['components.social.terminationGracePeriodSeconds=36'],
      /components\.social: terminationGracePeriodSeconds \(36\) must cover the preStop pause \(5 s\) and the 30 s drain: 40 or more/,
    ],
  ])('the checks refuse --set %s with a message', (set, message) => {
    const run = helmTemplate([], set);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/moim: invalid values:/);
    expect(run.stderr).toMatch(message);
  });

  const socialResources = (objects: K8sObject[]) =>
    containerOf(deploymentsByComponent(objects).get('social')!).resources;
  it.each([
    [
      'quantities as numbers (cpu 0.5, memory 1e9)',
      ['components.social.resources={"requests":{"cpu":0.5,"memory":1e9}}'],
      (objects: K8sObject[]) => expect(socialResources(objects).requests).toEqual({ cpu: 0.5, memory: 1e9 }),
    ],
    [
      'quantities with exponents and E/P suffixes, and ephemeral-storage',
      [
        'components.social.resources={"requests":{"cpu":"1.5","memory":"1e9","ephemeral-storage":"512Mi"},' +
          '"limits":{"memory":"2E","ephemeral-storage":"1Pi"}}',
      ],
      (objects: K8sObject[]) =>
        expect(socialResources(objects)).toEqual({
          requests: { cpu: '1.5', memory: '1e9', 'ephemeral-storage': '512Mi' },
          limits: { memory: '2E', 'ephemeral-storage': '1Pi' },
        }),
    ],
    [
      'compound durations (1m30s)',
      ['serviceMonitor={"enabled":true,"interval":"1m30s","scrapeTimeout":"1m"}'],
      (objects: K8sObject[]) =>
        expect(byKind(objects, 'ServiceMonitor')[0]!.spec.endpoints[0]).toMatchObject({
          interval: '1m30s',
          scrapeTimeout: '1m',
        }),
    ],
    [
      'a tag of 63 characters, the longest label value',
      [`image.tag="${'v1.2.3-rc.1_'.repeat(5)}abc"`],
      (objects: K8sObject[]) =>
        expect(byKind(objects, 'Deployment')[0]!.metadata.labels['app.kubernetes.io/version']).toHaveLength(
          63,
        ),
    ],
  ])('accepts %s, and renders them', async (_, json, check) => {
    const run = helmTemplateJson(json);
    expect(run.status, run.stderr).toBe(0);
    const objects = parseManifests(run.stdout);
    expect(await schemaProblems(objects)).toEqual([]);
    check(objects);
  });

  it('keeps preStopSleepSeconds: 0 (no pause) and takes one for any component', () => {
    const deployments = deploymentsByComponent(
      renderChart(
        [],
        ['components.review.preStopSleepSeconds=0', 'components.chat-worker.preStopSleepSeconds=3'],
      ),
    );
    expect(containerOf(deployments.get('review')!).lifecycle).toBeUndefined();
    expect(containerOf(deployments.get('social')!).lifecycle.preStop).toEqual({ sleep: { seconds: 5 } });
    expect(containerOf(deployments.get('chat-worker')!).lifecycle.preStop).toEqual({ sleep: { seconds: 3 } });
    expect(containerOf(deployments.get('media-worker')!).lifecycle).toBeUndefined();
  });

  it.each(['LoadBalancer', 'NodePort'])(
    'publishes only the http port with a %s gateway Service; metrics stay on the ClusterIP one',
    (type) => {
      const objects = renderChart(
        [],
        [`components.gateway.service.type=${type}`, 'serviceMonitor.enabled=true'],
      );
      const services = new Map(byKind(objects, 'Service').map((s) => [s.metadata.name as string, s]));
      const gateway = services.get('moim-gateway')!;
      expect(gateway.spec.type).toBe(type);
      expect(gateway.spec.ports.map((p: { port: number }) => p.port)).toEqual([4000]);
      const metrics = services.get('moim-gateway-metrics')!;
      expect(metrics.spec.type).toBe('ClusterIP');
      expect(metrics.spec.ports.map((p: { port: number }) => p.port)).toEqual([METRICS_PORT]);
      const [monitor] = byKind(objects, 'ServiceMonitor');
      expect(selects(monitor!.spec.selector, metrics.metadata.labels)).toBe(true);
      expect(selects(monitor!.spec.selector, gateway.metadata.labels)).toBe(false);
    },
  );

  it('opens the metrics port to networkPolicy.metricsFrom only, and to nobody when it is empty', () => {
    const peers = [
      {
        namespaceSelector: { matchLabels: { team: 'observability' } },
        podSelector: { matchLabels: { app: 'prometheus' } },
      },
    ];
    const custom = parseManifests(
      helmTemplateJson([`networkPolicy.metricsFrom=${JSON.stringify(peers)}`]).stdout,
    );
    expect(gatewayRules(custom)).toEqual([{ ports: ['http'] }, { ports: ['metrics'], from: peers }]);
    // An empty `from` would admit everyone: no rule at all instead.
    const none = parseManifests(helmTemplateJson(['networkPolicy.metricsFrom=[]']).stdout);
    expect(gatewayRules(none)).toEqual([{ ports: ['http'] }]);
    expect(subgraphIngressProblems(none, SUBGRAPHS)).toEqual([]);
    const run = helmTemplateJson(['networkPolicy.metricsFrom=[{}]']);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/at '\/networkPolicy\/metricsFrom\/0': minProperties: got 0, want 1/);
  });

  it('accepts a bucket with gcs, and production values with another tag, for both images', () => {
    expect(helmTemplate([], ['media.storage=gcs', 'media.gcs.bucket=b']).status).toBe(0);
    const objects = renderChart(['values-production.yaml'], ['image.tag=1.2.3']);
    expect(new Set(byKind(objects, 'Deployment').map((d) => containerOf(d).image))).toEqual(
      new Set(['ghcr.io/moim-app/moim:1.2.3', `${ADMIN.image}:1.2.3`]),
    );
    const pinned = renderChart([], ['admin.image.tag=1.2.4']);
    expect(containerOf(deploymentsByComponent(pinned).get(ADMIN.name)!).image).toBe(`${ADMIN.image}:1.2.4`);
  });

  it('leaves the admin console out with admin.enabled=false: no object, no ingress path', () => {
    const objects = renderChart(['values-production.yaml'], ['admin.enabled=false']);
    expect(adminObjects(objects)).toEqual([]);
    expect(adminObjects(renderChart())).not.toEqual([]);
    const [ingress] = byKind(objects, 'Ingress');
    expect(ingress!.spec.rules[0].http.paths.map((p: { path: string }) => p.path)).toEqual(['/']);
  });

  it('takes podDefaults.replicas for the console unless admin.replicas, 0 included', () => {
    const replicas = (set: string[]) =>
      deploymentsByComponent(renderChart([], set)).get(ADMIN.name)!.spec.replicas;
    expect(replicas(['podDefaults.replicas=3'])).toBe(3);
    expect(replicas(['podDefaults.replicas=3', 'admin.replicas=0'])).toBe(0);
  });

  it('closes the console to everyone with networkPolicy.adminFrom empty (no empty `from`: that is anyone)', () => {
    const objects = parseManifests(helmTemplateJson(['networkPolicy.adminFrom=[]']).stdout);
    const policy = byKind(objects, 'NetworkPolicy').find(
      (p) => p.metadata.labels[COMPONENT_LABEL] === ADMIN.name,
    )!;
    expect(policy.spec.ingress).toEqual([]);
    expect(policy.spec.policyTypes).toContain('Ingress');
  });
});
