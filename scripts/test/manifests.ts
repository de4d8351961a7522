import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { deployTool, type DeployTool } from '../deploy-tools';

// What the deployment tests share: rendering the chart and the kustomize overlays with the real
// helm and kubectl, parsing what they print, validating every object against the Kubernetes
// schemas (kubernetes-models), and reading components, containers and probes out of them.

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHART = `${ROOT}helm/moim`;
export const KUSTOMIZE = `${ROOT}k8s`;

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered YAML, inspected by tests */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: any };
  [k: string]: any;
};
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(tool: DeployTool, args: string[]): Run {
  const result = spawnSync(deployTool(tool), args, {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

function rendered(run: Run, what: string): K8sObject[] {
  if (run.status !== 0) throw new Error(`${what} failed (${run.status}):\n${run.stderr}`);
  return parseManifests(run.stdout);
}

/** `helm template moim helm/moim` with these values files (relative to the chart) and `--set`s. */
export function helmTemplate(valuesFiles: string[] = [], set: string[] = []): Run {
  return runTool('helm', [
    'template',
    'moim',
    CHART,
    ...valuesFiles.flatMap((f) => ['-f', `${CHART}/${f}`]),
    ...set.flatMap((s) => ['--set', s]),
  ]);
}

export const renderChart = (valuesFiles: string[] = [], set: string[] = []): K8sObject[] =>
  rendered(helmTemplate(valuesFiles, set), `helm template ${valuesFiles.join(' ')}`);

/** `kubectl kustomize k8s/overlays/<overlay>`. */
export const renderOverlay = (overlay: 'dev' | 'prod'): K8sObject[] =>
  rendered(
    runTool('kubectl', ['kustomize', `${KUSTOMIZE}/overlays/${overlay}`]),
    `kubectl kustomize ${overlay}`,
  );

/** Where each kind's model lives: core kinds under `v1/`, the rest under their API group. */
async function modelOf(apiVersion: string, kind: string) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const path =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`
      : `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
  const module = (await import(path)) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = module[kind];
  if (!model) throw new Error(`no model for ${apiVersion} ${kind}`);
  return model;
}

/** Problems found by the Kubernetes schemas, one line per object (empty: all valid). */
export async function schemaProblems(objects: K8sObject[]): Promise<string[]> {
  const problems: string[] = [];
  for (const object of objects) {
    const where = `${object.kind}/${object.metadata?.name}`;
    try {
      const Model = await modelOf(object.apiVersion, object.kind);
      new Model(object).validate();
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
  }
  return problems;
}

export const COMPONENT_LABEL = 'app.kubernetes.io/component';

/**
 * The admin console's container (Dockerfile target `admin`, deploy/admin/): nginx serving the
 * console's static build under /admin/ and proxying /graphql to the gateway. Not a component of
 * scripts/components.ts (those are the Node image's processes): compose, kustomize and the chart
 * deploy it beside them, and the tests hold each of them to this.
 */
export const ADMIN = {
  name: 'admin',
  /** Its image: the console's, released with the same tag as the Node image. */
  image: 'ghcr.io/moim-app/moim-admin',
  port: 8080,
  /** Answered by nginx alone: the console's pods do not restart when the gateway is down. */
  health: '/healthz',
  path: '/admin/',
  htmlRoot: '/usr/share/nginx/html',
  nginxConf: 'deploy/admin/nginx.conf',
  serverTemplate: 'deploy/admin/moim-admin.conf.template',
  /** Where /graphql goes: the gateway's address (scheme, host, port; no path). */
  gatewayVariable: 'MOIM_GATEWAY_URL',
  /** The image's defaults: the variable, and the template rendered into /tmp with MOIM_* only. */
  imageEnv: {
    MOIM_GATEWAY_URL: 'http://gateway:4000',
    NGINX_ENVSUBST_OUTPUT_DIR: '/tmp',
    NGINX_ENVSUBST_FILTER: '^MOIM_',
  } as Record<string, string>,
} as const;

/** The admin container as containerShape sees it in every rendering: nginx's own command, /healthz. */
export const ADMIN_SHAPE: ContainerShape = {
  args: [],
  ports: { http: ADMIN.port },
  liveness: { path: ADMIN.health, port: ADMIN.port },
  readiness: { path: ADMIN.health, port: ADMIN.port },
  startup: null,
};

/** The pod template of a workload (Deployment, Job), or null. */
export function podSpecOf(object: K8sObject) {
  return ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(object.kind)
    ? object.spec?.template?.spec
    : null;
}

export const workloads = (objects: K8sObject[]) => objects.filter((o) => podSpecOf(o));

/** Deployments by their component label. */
export function deploymentsByComponent(objects: K8sObject[]): Map<string, K8sObject> {
  return new Map(
    objects
      .filter((o) => o.kind === 'Deployment')
      .map((o) => [o.spec.template.metadata.labels[COMPONENT_LABEL] as string, o]),
  );
}

export interface ContainerShape {
  args: string[];
  ports: Record<string, number>;
  liveness: { path: string; port: number } | null;
  readiness: { path: string; port: number } | null;
  /** How long a start may take before the kubelet restarts it: seconds, with its endpoint. */
  startup: { path: string; port: number; seconds: number } | null;
}

/** What must agree between renderings of one component: command, named ports, probes. */
export function containerShape(deployment: K8sObject): ContainerShape {
  const container = deployment.spec.template.spec.containers[0];
  const ports: Record<string, number> = Object.fromEntries(
    (container.ports ?? []).map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]),
  );
  const probe = (p: { httpGet?: { path: string; port: number | string } } | undefined) =>
    p?.httpGet
      ? {
          path: p.httpGet.path,
          port: typeof p.httpGet.port === 'string' ? ports[p.httpGet.port]! : p.httpGet.port,
        }
      : null;
  return {
    args: [...(container.command ?? []), ...(container.args ?? [])],
    ports,
    liveness: probe(container.livenessProbe),
    readiness: probe(container.readinessProbe),
    startup: container.startupProbe
      ? {
          ...probe(container.startupProbe)!,
          seconds:
            (container.startupProbe.periodSeconds ?? 10) * (container.startupProbe.failureThreshold ?? 3),
        }
      : null,
  };
}

type Selector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
};

/** Kubernetes label-selector semantics (an empty selector matches everything). */
export function selects(selector: Selector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = key in labels;
    const ok =
      operator === 'In'
        ? has && values.includes(labels[key]!)
        : operator === 'NotIn'
          ? !has || !values.includes(labels[key]!)
          : operator === 'Exists'
            ? has
            : operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

// Names that hold credentials: their values come from a Secret, never from a manifest.
const SECRET_NAME = /SECRET|PASSWORD|TOKEN|CREDENTIAL|_KEY$|DATABASE_URL|REDIS_URL|MYSQL_URL/;

/**
 * The rules every rendering must keep, as readable problems: containers non-root with a read-only
 * root filesystem and no privilege escalation, a pinned image (no `latest`), resource requests,
 * probes on long-running containers, and no credential written into the manifests.
 */
export function podProblems(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  for (const object of objects) {
    const where = `${object.kind}/${object.metadata.name}`;
    if (object.kind === 'Secret' && (object.data || object.stringData))
      problems.push(`${where}: a Secret with values in the manifests`);
    if (object.kind === 'ConfigMap')
      for (const key of Object.keys(object.data ?? {}))
        if (SECRET_NAME.test(key)) problems.push(`${where}: credential ${key} in a ConfigMap`);
    const pod = podSpecOf(object);
    if (!pod) continue;
    const longRunning = object.kind !== 'Job';
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      const at = `${where} container ${container.name}`;
      const security = { ...pod.securityContext, ...container.securityContext };
      if (security.runAsNonRoot !== true) problems.push(`${at}: runAsNonRoot is not true`);
      if (security.runAsUser === 0) problems.push(`${at}: runs as uid 0`);
      if (container.securityContext?.readOnlyRootFilesystem !== true)
        problems.push(`${at}: root filesystem is not read-only`);
      if (container.securityContext?.allowPrivilegeEscalation !== false)
        problems.push(`${at}: privilege escalation is not disabled`);
      const image: string = container.image ?? '';
      const tag = image.includes('@') ? 'digest' : image.slice(image.lastIndexOf('/') + 1).split(':')[1];
      if (!tag || tag === 'latest') problems.push(`${at}: image ${image} is not pinned to a tag`);
      if (!container.resources?.requests?.cpu || !container.resources?.requests?.memory)
        problems.push(`${at}: no cpu and memory requests`);
      if (longRunning && !pod.initContainers?.includes(container)) {
        if (!container.livenessProbe) problems.push(`${at}: no liveness probe`);
        if (!container.readinessProbe) problems.push(`${at}: no readiness probe`);
      }
      for (const env of container.env ?? [])
        if (SECRET_NAME.test(env.name) && env.value !== undefined)
          problems.push(`${at}: ${env.name} is written in the manifest, not taken from a Secret`);
    }
  }
  return problems;
}

/**
 * Who may open connections to each subgraph's pods under the NetworkPolicies: problems unless
 * every subgraph is selected by a policy (so default-deny applies) and every allowed peer is the
 * gateway's pods alone.
 */
export function subgraphIngressProblems(objects: K8sObject[], subgraphs: string[]): string[] {
  const problems: string[] = [];
  const deployments = deploymentsByComponent(objects);
  const gateway = deployments.get('gateway');
  if (!gateway) return ['no gateway Deployment'];
  const gatewayLabels = gateway.spec.template.metadata.labels as Record<string, string>;
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  for (const name of subgraphs) {
    const deployment = deployments.get(name);
    if (!deployment) {
      problems.push(`${name}: no Deployment`);
      continue;
    }
    const labels = deployment.spec.template.metadata.labels as Record<string, string>;
    const applying = policies.filter(
      (p) => selects(p.spec.podSelector, labels) && (p.spec.policyTypes ?? ['Ingress']).includes('Ingress'),
    );
    if (!applying.length) problems.push(`${name}: no NetworkPolicy selects its pods: anyone may reach it`);
    for (const policy of applying)
      for (const rule of policy.spec.ingress ?? []) {
        const peers = rule.from ?? [];
        if (!peers.length) problems.push(`${name}: ${policy.metadata.name} allows ingress from anywhere`);
        for (const peer of peers) {
          if (peer.ipBlock || peer.namespaceSelector)
            problems.push(
              `${name}: ${policy.metadata.name} allows ingress from outside the namespace's pods`,
            );
          else if (!peer.podSelector || !selects(peer.podSelector, gatewayLabels))
            problems.push(`${name}: ${policy.metadata.name} allows pods that are not the gateway`);
          else {
            // A peer selecting the gateway must select nothing else the deployment runs.
            for (const [other, d] of deployments)
              if (other !== 'gateway' && selects(peer.podSelector, d.spec.template.metadata.labels))
                problems.push(`${name}: ${policy.metadata.name} also lets ${other} in`);
          }
        }
      }
    if (
      !applying.some((p) =>
        (p.spec.ingress ?? []).some((r: { from?: Array<{ podSelector?: Selector }> }) =>
          (r.from ?? []).some((peer) => peer.podSelector && selects(peer.podSelector, gatewayLabels)),
        ),
      )
    )
      problems.push(`${name}: the gateway may not reach it`);
  }
  return problems;
}
