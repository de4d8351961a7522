import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { envStem, SERVICES } from '@moim/events';
import { COMPONENTS, databaseUrlKey } from '../components';
import {
  ADMIN,
  ADMIN_SHAPE,
  COMPONENT_LABEL,
  containerShape,
  deploymentsByComponent,
  podProblems,
  podSpecOf,
  renderOverlay,
  ROOT,
  schemaProblems,
  selects,
  subgraphIngressProblems,
  workloads,
  type K8sObject,
} from './manifests';

// The kustomize overlays (k8s/overlays/dev and prod) as `kubectl kustomize` renders them: valid
// objects, exactly the components of scripts/components.ts with their commands, ports and probes,
// the NetworkPolicies, credentials only from the moim-secrets Secret, the supergraph ConfigMap the
// gateway reloads in place, and what differs between the overlays.

const SECRET = 'moim-secrets';
const SUPERGRAPH = readFileSync(`${ROOT}gateway/supergraph.graphql`, 'utf8');
const SUBGRAPHS = COMPONENTS.filter((c) => c.kind === 'subgraph').map((c) => c.name);
const CREDENTIALS = ['INTERNAL_SECRET', 'JWT_SECRET', 'REDIS_URL'];
const DATABASE_KEYS = SERVICES.map(({ name }) => databaseUrlKey(name));
const SENS_KEYS = ['SENS_ACCESS_KEY', 'SENS_SECRET_KEY', 'SENS_SERVICE_ID', 'SENS_FROM'];
const sorted = (values: Iterable<string>) => [...values].sort();

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

const OVERLAYS = {
  dev: { namespace: 'moim-dev', media: 'local', sms: 'local', hpa: { min: 1, max: 2 } },
  prod: { namespace: 'moim', media: 'gcs', sms: 'sens', hpa: { min: 2, max: 10 } },
} as const;

describe.each(['dev', 'prod'] as const)('k8s/overlays/%s', (overlay) => {
  const expected = OVERLAYS[overlay];
  let objects: K8sObject[];
  let deployments: Map<string, K8sObject>;
  beforeAll(() => {
    objects = renderOverlay(overlay);
    deployments = deploymentsByComponent(objects);
  });

  const ofKind = (kind: string) => objects.filter((o) => o.kind === kind);
  const containerOf = (workload: K8sObject) => podSpecOf(workload).containers[0];
  const env = (workload: K8sObject): Map<string, EnvVar> =>
    new Map((containerOf(workload).env ?? []).map((e: EnvVar) => [e.name, e]));
  /** Variable → key of the moim-secrets Secret, for every variable taken from it. */
  const fromSecret = (workload: K8sObject): Record<string, string> =>
    Object.fromEntries(
      [...env(workload).values()]
        .filter((e) => e.valueFrom?.secretKeyRef?.name === SECRET)
        .map((e) => [e.name, e.valueFrom!.secretKeyRef!.key]),
    );
  const config = () => {
    const found = ofKind('ConfigMap').filter((o) => o.metadata.name.startsWith('moim-config'));
    expect(found).toHaveLength(1);
    return found[0]!;
  };
  const gateway = () => deployments.get('gateway')!;
  const job = () => {
    const jobs = ofKind('Job');
    expect(jobs.map((j) => j.metadata.name)).toEqual(['moim-migrate']);
    return jobs[0]!;
  };

  it('renders only objects the Kubernetes schemas accept, named moim-… in its namespace', async () => {
    expect(objects.length).toBeGreaterThan(40);
    expect(await schemaProblems(objects)).toEqual([]);
    for (const o of objects) {
      expect(o.metadata.name, o.kind).toMatch(/^moim-/);
      expect(o.metadata.namespace, o.metadata.name).toBe(expected.namespace);
      expect(o.metadata.labels, o.metadata.name).toMatchObject({
        'app.kubernetes.io/name': 'moim',
        'app.kubernetes.io/part-of': 'moim',
      });
    }
  });

  it('keeps every pod non-root, read-only, pinned, with requests and probes, and no credential inline', () => {
    expect(podProblems(objects)).toEqual([]);
    expect(ofKind('Secret')).toEqual([]);
    const images = new Set<string>();
    for (const w of workloads(objects)) {
      const pod = podSpecOf(w);
      const container = containerOf(w);
      expect(pod.containers, w.metadata.name).toHaveLength(1);
      expect(pod.securityContext, w.metadata.name).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 1000,
        runAsGroup: 1000,
        fsGroup: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(container.securityContext.capabilities.drop, w.metadata.name).toEqual(['ALL']);
      expect(container.resources.limits?.memory, w.metadata.name).toBeTruthy();
      // The image's one writable place: /tmp on an emptyDir.
      const tmp = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
      expect(
        pod.volumes.find((v: { name: string }) => v.name === tmp?.name)?.emptyDir,
        w.metadata.name,
      ).toBeDefined();
      expect(w.spec.template.metadata.labels, w.metadata.name).toMatchObject({
        'app.kubernetes.io/name': 'moim',
        'app.kubernetes.io/part-of': 'moim',
        [COMPONENT_LABEL]: container.name,
      });
      images.add(container.image);
    }
    // One release: every process from the same image and tag, the admin console from its own
    // image with that tag.
    const release = containerOf(gateway()).image as string;
    expect(release).toMatch(/^ghcr\.io\/moim-app\/moim:\d+\.\d+\.\d+/);
    expect(sorted(images)).toEqual(sorted([release, `${ADMIN.image}:${release.split(':').at(-1)}`]));
    expect(containerOf(deployments.get(ADMIN.name)!).image).toBe(
      `${ADMIN.image}:${release.split(':').at(-1)}`,
    );
  });

  it('deploys exactly the components and the admin console, each running its command with its port and probes', () => {
    expect(sorted(deployments.keys())).toEqual(sorted([...COMPONENTS.map((c) => c.name), ADMIN.name]));
    expect(containerShape(deployments.get(ADMIN.name)!)).toEqual(ADMIN_SHAPE);
    expect(deployments.get(ADMIN.name)!.metadata.name).toBe(`moim-${ADMIN.name}`);
    for (const c of COMPONENTS) {
      const deployment = deployments.get(c.name)!;
      expect(deployment.metadata.name).toBe(`moim-${c.name}`);
      expect(deployment.spec.template.metadata.labels['moim.app/kind'], c.name).toBe(c.kind);
      expect(containerOf(deployment).name).toBe(c.name);
      expect(containerShape(deployment), c.name).toEqual({
        args: [c.name],
        ports: { http: c.port, ...(c.metricsPort ? { metrics: c.metricsPort } : {}) },
        liveness: { path: '/health/live', port: c.port },
        readiness: { path: '/health/ready', port: c.port },
        startup: { path: '/health/live', port: c.port, seconds: expect.any(Number) },
      });
      for (const [name, value] of Object.entries(c.env)) expect(env(deployment).get(name)?.value).toBe(value);
    }
  });

  it('has a Service for the gateway, each subgraph and the admin console alone, without session affinity', () => {
    const services = ofKind('Service').filter((s) => s.metadata.name !== 'moim-gateway-metrics');
    const served = services.map((s) => {
      const targets = [...deployments].filter(([, d]) =>
        selects({ matchLabels: s.spec.selector }, d.spec.template.metadata.labels),
      );
      expect(targets, s.metadata.name).toHaveLength(1);
      const [name, deployment] = targets[0]!;
      const port = name === ADMIN.name ? ADMIN.port : COMPONENTS.find((x) => x.name === name)!.port;
      expect(s.metadata.name).toBe(deployment.metadata.name);
      expect(s.spec.sessionAffinity ?? 'None').toBe('None');
      // The http port alone: a gateway Service patched into a LoadBalancer never publishes metrics.
      expect(s.spec.ports).toEqual([{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }]);
      return name;
    });
    expect(sorted(served)).toEqual(sorted(['gateway', ...SUBGRAPHS, ADMIN.name]));
  });

  it("serves the gateway's metrics on a ClusterIP Service of their own, open to the monitoring namespace alone", () => {
    const gatewayPods = gateway().spec.template.metadata.labels;
    const metrics = ofKind('Service').filter((s) => s.metadata.name === 'moim-gateway-metrics');
    expect(metrics).toHaveLength(1);
    expect(metrics[0]!.spec.type).toBe('ClusterIP');
    expect(selects({ matchLabels: metrics[0]!.spec.selector }, gatewayPods)).toBe(true);
    const { metricsPort } = COMPONENTS.find((c) => c.name === 'gateway')!;
    expect(metrics[0]!.spec.ports).toEqual([
      { name: 'metrics', port: metricsPort, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    const rules = ofKind('NetworkPolicy')
      .filter((p) => selects(p.spec.podSelector, gatewayPods))
      .flatMap((p) => p.spec.ingress ?? []);
    expect(rules).toEqual([
      { ports: [{ port: 4000, protocol: 'TCP' }] },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ports: [{ port: metricsPort, protocol: 'TCP' }],
      },
    ]);
  });

  it("points the admin console at the gateway's Service by its final name", () => {
    const gatewayService = ofKind('Service').find((s) => s.metadata.name === 'moim-gateway')!;
    expect(
      selects({ matchLabels: gatewayService.spec.selector }, gateway().spec.template.metadata.labels),
    ).toBe(true);
    const { port } = COMPONENTS.find((c) => c.name === 'gateway')!;
    expect(env(deployments.get(ADMIN.name)!).get(ADMIN.gatewayVariable)?.value).toBe(
      `http://${gatewayService.metadata.name}:${port}`,
    );
    // No configuration and no secret: it serves files and proxies.
    expect(containerOf(deployments.get(ADMIN.name)!).envFrom).toBeUndefined();
    expect([...env(deployments.get(ADMIN.name)!).values()].filter((e) => e.valueFrom)).toEqual([]);
  });

  it("lets only the ingress controller's namespace reach the admin console, and it only the gateway and DNS", () => {
    const labels = deployments.get(ADMIN.name)!.spec.template.metadata.labels;
    const policies = ofKind('NetworkPolicy').filter((p) => selects(p.spec.podSelector, labels));
    expect(policies.flatMap((p) => p.spec.ingress ?? [])).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }],
        ports: [{ port: ADMIN.port, protocol: 'TCP' }],
      },
    ]);
    const restricting = policies.filter((p) => (p.spec.policyTypes ?? []).includes('Egress'));
    expect(restricting).toHaveLength(1);
    const [toGateway, dns] = restricting[0]!.spec.egress;
    expect(restricting[0]!.spec.egress).toHaveLength(2);
    expect(toGateway.ports).toEqual([
      { port: COMPONENTS.find((c) => c.name === 'gateway')!.port, protocol: 'TCP' },
    ]);
    expect(toGateway.to).toHaveLength(1);
    for (const [name, d] of deployments)
      expect(selects(toGateway.to[0].podSelector, d.spec.template.metadata.labels), name).toBe(
        name === 'gateway',
      );
    expect(dns).toEqual({
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    });
  });

  it('points the gateway at the subgraph Services by their final names', () => {
    const services = new Map(ofKind('Service').map((s) => [s.spec.selector[COMPONENT_LABEL] as string, s]));
    const gatewayEnv = env(gateway());
    for (const c of COMPONENTS.filter((x) => x.kind === 'subgraph')) {
      const service = services.get(c.name)!;
      expect(gatewayEnv.get(`SUBGRAPH_${envStem(c.service!)}_URL`)?.value).toBe(
        `http://${service.metadata.name}:${c.port}/graphql`,
      );
    }
    // Subgraph addresses are the gateway's business alone.
    for (const [name, deployment] of deployments)
      if (name !== 'gateway')
        expect(
          [...env(deployment).keys()].filter((k) => k.startsWith('SUBGRAPH_')),
          name,
        ).toEqual([]);
  });

  it('lets only the gateway reach the subgraphs, and nothing reach the workers', () => {
    expect(subgraphIngressProblems(objects, SUBGRAPHS)).toEqual([]);
    const policies = ofKind('NetworkPolicy');
    for (const w of workloads(objects)) {
      const labels = w.spec.template.metadata.labels;
      const applying = policies.filter((p) => selects(p.spec.podSelector, labels));
      // Default deny: a policy selects every pod, so only what a policy allows gets in.
      expect(applying.length, w.metadata.name).toBeGreaterThan(0);
      if (w.kind === 'Job' || labels['moim.app/kind'] === 'worker')
        expect(
          applying.flatMap((p) => p.spec.ingress ?? []),
          w.metadata.name,
        ).toEqual([]);
    }
    // The default-deny policy selects Moim's pods only, not the namespace's others.
    for (const p of policies)
      expect(selects(p.spec.podSelector, { app: 'someone-else' }), p.metadata.name).toBe(false);
  });

  it('autoscales the gateway and chat alone, and leaves their replicas to the autoscaler', () => {
    const hpas = ofKind('HorizontalPodAutoscaler');
    const targets = hpas.map((h) => {
      const target = [...deployments].find(([, d]) => d.metadata.name === h.spec.scaleTargetRef.name);
      expect(target, h.metadata.name).toBeDefined();
      expect(h.spec.scaleTargetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
      expect({ min: h.spec.minReplicas, max: h.spec.maxReplicas }, h.metadata.name).toEqual(expected.hpa);
      expect(h.spec.metrics).toContainEqual(
        expect.objectContaining({ type: 'Resource', resource: expect.objectContaining({ name: 'cpu' }) }),
      );
      return target![0];
    });
    expect(sorted(targets)).toEqual(['chat', 'gateway']);
    // A re-apply would otherwise reset what the autoscaler chose.
    for (const name of targets) expect(deployments.get(name)!.spec.replicas, name).toBeUndefined();
  });

  it(
    overlay === 'dev'
      ? 'runs one replica of everything'
      : 'runs at least two replicas of the gateway, every subgraph and every worker pool',
    () => {
      const hpaMin = new Map(
        ofKind('HorizontalPodAutoscaler').map((h) => [
          h.spec.scaleTargetRef.name,
          h.spec.minReplicas as number,
        ]),
      );
      for (const [name, d] of deployments) {
        const replicas = (d.spec.replicas as number | undefined) ?? hpaMin.get(d.metadata.name);
        if (overlay === 'dev') expect(replicas, name).toBe(1);
        else expect(replicas, name).toBeGreaterThanOrEqual(2);
      }
    },
  );

  it('has a PodDisruptionBudget of its own for every Deployment', () => {
    const pdbs = ofKind('PodDisruptionBudget');
    expect(pdbs).toHaveLength(deployments.size);
    for (const [name, d] of deployments) {
      const covering = pdbs.filter((p) => selects(p.spec.selector, d.spec.template.metadata.labels));
      expect(
        covering.map((p) => p.metadata.name),
        name,
      ).toEqual([d.metadata.name]);
      expect(covering[0]!.spec.maxUnavailable, name).toBe(1);
    }
  });

  it('rolls Deployments out without taking a ready pod away first, and lets them drain', () => {
    for (const [name, d] of deployments) {
      expect(d.spec.strategy, name).toMatchObject({
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 0 },
      });
      expect(d.spec.strategy.rollingUpdate.maxSurge, name).toBeTruthy();
      expect(d.spec.minReadySeconds, name).toBeGreaterThan(0);
      const pod = podSpecOf(d);
      expect(pod.terminationGracePeriodSeconds, name).toBeGreaterThanOrEqual(name === 'gateway' ? 60 : 35);
    }
    // Endpoints drop a gateway pod before it stops accepting WebSockets.
    expect(containerOf(gateway()).lifecycle?.preStop).toBeDefined();
    // And a subgraph's before it stops accepting the gateway's requests; then 30 s of draining.
    for (const name of SUBGRAPHS) {
      const d = deployments.get(name)!;
      expect(containerOf(d).lifecycle?.preStop, name).toEqual({ sleep: { seconds: 5 } });
      expect(podSpecOf(d).terminationGracePeriodSeconds, name).toBeGreaterThanOrEqual(40);
    }
  });

  it('gives subgraphs and workers five minutes to start (they wait for their migrations)', () => {
    for (const [name, d] of deployments) {
      if (name === ADMIN.name) continue;
      const { startupProbe, livenessProbe, readinessProbe } = containerOf(d);
      const budget = startupProbe.periodSeconds * startupProbe.failureThreshold;
      expect(budget, name).toBeGreaterThanOrEqual(name === 'gateway' ? 60 : 300);
      expect(startupProbe.httpGet, name).toEqual({ path: '/health/live', port: 'http' });
      // Once started, liveness and readiness answer as before.
      expect(livenessProbe, name).toMatchObject({ periodSeconds: 10, failureThreshold: 3 });
      expect(readinessProbe, name).toMatchObject({ periodSeconds: 5, failureThreshold: 2 });
    }
  });

  it('takes credentials from moim-secrets: each process its own database, the migrate Job all five', () => {
    for (const c of COMPONENTS) {
      const deployment = deployments.get(c.name)!;
      const secrets = fromSecret(deployment);
      for (const key of CREDENTIALS) expect(secrets[key], `${c.name} ${key}`).toBe(key);
      expect(secrets.DATABASE_URL, c.name).toBe(c.service ? databaseUrlKey(c.service) : undefined);
      // Least privilege: no other service's database.
      expect(
        Object.values(secrets).filter((k) => k.endsWith('_DATABASE_URL')),
        c.name,
      ).toEqual(c.service ? [databaseUrlKey(c.service)] : []);
    }
    const migrate = job();
    expect(containerOf(migrate).args).toEqual(['migrate']);
    expect(podSpecOf(migrate).restartPolicy).toBe('Never');
    expect(migrate.spec.backoffLimit).toBe(2);
    // Finished Jobs go away, so a later apply creates the Job afresh.
    expect(migrate.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(migrate.spec.template.metadata.labels[COMPONENT_LABEL]).toBe('migrate');
    const secrets = fromSecret(migrate);
    for (const key of [...CREDENTIALS, ...DATABASE_KEYS]) expect(secrets[key], key).toBe(key);
  });

  it('ships the supergraph as moim-supergraph, unhashed, mounted as a directory in the gateway', () => {
    const supergraph = ofKind('ConfigMap').filter((o) => o.metadata.name.startsWith('moim-supergraph'));
    expect(supergraph.map((o) => o.metadata.name)).toEqual(['moim-supergraph']);
    expect(Object.keys(supergraph[0]!.data)).toEqual(['supergraph.graphql']);
    expect(supergraph[0]!.data['supergraph.graphql']).toBe(SUPERGRAPH);
    const pod = podSpecOf(gateway());
    const volume = pod.volumes.find(
      (v: { configMap?: { name: string } }) => v.configMap?.name === 'moim-supergraph',
    );
    expect(volume).toBeDefined();
    const mount = containerOf(gateway()).volumeMounts.find((m: { name: string }) => m.name === volume.name);
    // A subPath mount never sees an updated ConfigMap.
    expect(mount).toBeDefined();
    expect(mount.subPath).toBeUndefined();
    expect(env(gateway()).get('SUPERGRAPH_PATH')?.value).toBe(`${mount.mountPath}/supergraph.graphql`);
    // Nobody else mounts it.
    for (const w of workloads(objects))
      if (w !== gateway())
        expect(JSON.stringify(podSpecOf(w).volumes ?? []), w.metadata.name).not.toContain('moim-supergraph');
  });

  it('shares moim-config, hash-suffixed so a change rolls the pods, with every process (not the console)', () => {
    const cm = config();
    expect(cm.metadata.name).toMatch(/^moim-config-[a-z0-9]{6,}$/);
    expect(cm.data).toMatchObject({
      NODE_ENV: 'production',
      MIGRATE_ON_START: 'false',
      REDIS_PREFIX: 'moim',
      SMS_PROVIDER: expected.sms,
      MEDIA_STORAGE: expected.media,
    });
    for (const w of workloads(objects).filter((w) => w !== deployments.get(ADMIN.name)))
      expect(
        (containerOf(w).envFrom ?? []).map((e: { configMapRef?: { name: string } }) => e.configMapRef?.name),
        w.metadata.name,
      ).toContain(cm.metadata.name);
  });

  if (overlay === 'dev')
    it('keeps media on the moim-media volume shared by media and media-worker, and SMS local', () => {
      const claims = ofKind('PersistentVolumeClaim');
      expect(claims.map((c) => c.metadata.name)).toEqual(['moim-media']);
      expect(claims[0]!.spec.accessModes).toEqual(['ReadWriteOnce']);
      for (const name of ['media', 'media-worker']) {
        const d = deployments.get(name)!;
        const volume = podSpecOf(d).volumes.find(
          (v: { persistentVolumeClaim?: { claimName: string } }) =>
            v.persistentVolumeClaim?.claimName === 'moim-media',
        );
        expect(volume, name).toBeDefined();
        const mount = containerOf(d).volumeMounts.find((m: { name: string }) => m.name === volume.name);
        expect(mount?.mountPath, name).toBe(config().data.MEDIA_DIR);
      }
      for (const w of workloads(objects))
        expect(Object.keys(fromSecret(w)), w.metadata.name).not.toContain('SENS_FROM');
    });

  if (overlay === 'prod')
    it('keeps media in Cloud Storage without any volume, and sends SMS through SENS', () => {
      expect(ofKind('PersistentVolumeClaim')).toEqual([]);
      for (const w of workloads(objects)) {
        const volumes = podSpecOf(w).volumes ?? [];
        expect(
          volumes.filter((v: { persistentVolumeClaim?: unknown }) => v.persistentVolumeClaim),
          w.metadata.name,
        ).toEqual([]);
        const mounted = new Set(volumes.map((v: { name: string }) => v.name));
        for (const m of containerOf(w).volumeMounts ?? []) expect(mounted, w.metadata.name).toContain(m.name);
      }
      expect(config().data.GCS_BUCKET).toBeTruthy();
      // Every process that parses social's configuration needs the SENS keys; nobody else gets them.
      const social = new Set(COMPONENTS.filter((c) => c.service === 'social').map((c) => `moim-${c.name}`));
      for (const w of workloads(objects)) {
        const secrets = fromSecret(w);
        const needs = social.has(w.metadata.name) || w.kind === 'Job';
        for (const key of SENS_KEYS)
          expect(secrets[key], `${w.metadata.name} ${key}`).toBe(needs ? key : undefined);
      }
    });
});
