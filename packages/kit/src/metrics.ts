import { Counter, Gauge, Registry, collectDefaultMetrics, Histogram } from 'prom-client';

export interface Metrics {
  registry: Registry;
  httpDuration: Histogram<'route' | 'method' | 'status'>;
  /**
   * GraphQL root fields served by a subgraph, `_entities` included: how many entity batches the
   * gateway asked for, which the batching tests count.
   */
  rootFields: Counter<'field'>;
}

export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const rootFields = new Counter({
    name: 'graphql_root_fields_total',
    help: 'GraphQL root fields resolved, by name',
    labelNames: ['field'] as const,
    registers: [registry],
  });
  return { registry, httpDuration, rootFields };
}

/** A counter per `label` value read when Prometheus scrapes, from totals kept by its owner. */
export function readCounter(
  metrics: Metrics,
  name: string,
  help: string,
  label: string,
  read: () => Record<string, number>,
): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [metrics.registry],
    collect() {
      this.reset();
      for (const [value, total] of Object.entries(read())) this.inc({ [label]: value }, total);
    },
  });
}

/** A gauge read when Prometheus scrapes (open sockets, live subscriptions…). */
export function readGauge(metrics: Metrics, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [metrics.registry],
    collect() {
      this.set(read());
    },
  });
}

/**
 * The port a production process serves /metrics on, apart from its (possibly public) main port:
 * the Prometheus exporter port OpenTelemetry also uses.
 */
export const DEFAULT_METRICS_PORT = 9464;
