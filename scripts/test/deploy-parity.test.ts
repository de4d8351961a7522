import { describe, expect, it } from 'vitest';
import { COMPONENTS } from '../components';
import {
  ADMIN,
  ADMIN_SHAPE,
  containerShape,
  deploymentsByComponent,
  renderChart,
  renderOverlay,
  type ContainerShape,
  type K8sObject,
} from './manifests';

// The chart and the kustomize overlays are two ways to deploy the same thing: the same components,
// each with the same command, ports and probes (startup budgets included) — and those are the
// component list's — and the admin console's container, the same in each.

const renderings: Array<[string, () => K8sObject[]]> = [
  ['chart (default values)', () => renderChart()],
  ['chart (production values)', () => renderChart(['values-production.yaml'])],
  ['kustomize dev', () => renderOverlay('dev')],
  ['kustomize prod', () => renderOverlay('prod')],
];

const shapes = (objects: K8sObject[]): Record<string, ContainerShape> =>
  Object.fromEntries([...deploymentsByComponent(objects)].map(([name, d]) => [name, containerShape(d)]));

/** What the component list (and ADMIN, the console) says each Deployment must look like. */
const expected: Record<string, ContainerShape> = Object.fromEntries([
  [ADMIN.name, ADMIN_SHAPE],
  ...COMPONENTS.map((c) => [
    c.name,
    {
      args: expect.arrayContaining([c.name]) as unknown as string[],
      ports: { http: c.port, ...(c.metricsPort ? { metrics: c.metricsPort } : {}) },
      liveness: { path: '/health/live', port: c.port },
      readiness: { path: '/health/ready', port: c.port },
      // Long enough for a new release to wait for its migrate job (gateway: no database).
      startup: {
        path: '/health/live',
        port: c.port,
        seconds: c.kind === 'gateway' ? expect.any(Number) : expect.toSatisfy((s: number) => s >= 300),
      } as ContainerShape['startup'],
    },
  ]),
]);

describe('chart and kustomize deploy the same components', () => {
  const rendered = renderings.map(([name, render]) => [name, shapes(render())] as const);

  it.each(rendered)(
    '%s: every component of the list and the console, with its command, ports and probes',
    (_, got) => {
      expect(Object.keys(got).sort()).toEqual([...COMPONENTS.map((c) => c.name), ADMIN.name].sort());
      expect(got).toEqual(expected);
    },
  );

  it('all four renderings agree exactly (commands included)', () => {
    const [first, ...others] = rendered;
    for (const [name, got] of others) expect(got, `${name} vs ${first![0]}`).toEqual(first![1]);
  });
});
