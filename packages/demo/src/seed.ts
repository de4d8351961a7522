import { serviceNames, type ServiceName } from '@moim/events';
import type { Logger, RunningService, ServiceDeps } from '@moim/kit';
import { loadDemoData, type DemoData } from './demo';

/**
 * A service's part of the demo data, exported as `seed` by `@moim/<service>`: writes through the
 * service's own domain functions and resolves to what it created, or null when its part was
 * there already (each part commits at once, so a seed stopped halfway completes on the next run).
 */
export type Seeder<D extends ServiceDeps = ServiceDeps> = (
  deps: D,
  demo: DemoData,
) => Promise<Record<string, number> | null>;

/**
 * Loads the demo data into the running services, in the order of the service list (later
 * services use the ids earlier ones assigned). Resolves to the counts of what was created, or null
 * when everything was there already.
 */
export async function seedDemo(
  services: ReadonlyMap<string, RunningService>,
  logger: Logger,
  options: {
    admin?: boolean;
    /** Each service's seeder, when imported statically (a bundle cannot follow `@moim/${name}`). */
    seeders?: Readonly<Partial<Record<ServiceName, Seeder | undefined>>>;
  } = {},
): Promise<Record<string, number> | null> {
  const demo = await loadDemoData(options);
  const created: Record<string, number> = {};
  for (const name of serviceNames) {
    const service = services.get(name);
    const seed = options.seeders
      ? options.seeders[name]
      : ((await import(`@moim/${name}`)) as { seed?: Seeder }).seed;
    if (!service || !seed) continue;
    const counts = await seed(service.deps, demo);
    if (counts) Object.assign(created, counts);
  }
  if (!Object.keys(created).length) return null;
  logger.info(created, 'demo data loaded');
  return created;
}
