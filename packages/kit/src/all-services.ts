import { SERVICES, type ServiceName } from '@moim/events';
import type { Backend } from './backend';
import { startService, type RunningService, type ServiceModule } from './service';

/** The `service` export of `@moim/<name>`: services are found by name from the service list. */
export async function loadServiceModule(name: ServiceName): Promise<ServiceModule> {
  const module = (await import(`@moim/${name}`)) as { service?: ServiceModule };
  if (!module.service) throw new Error(`@moim/${name} does not export its \`service\``);
  return module.service;
}

export interface StartedServices {
  services: Map<ServiceName, RunningService>;
  /** Each service's GraphQL URL. */
  urls: Map<ServiceName, string>;
  /** Stops them, last started first (the backend stays open: it is the caller's). */
  stop(): Promise<void>;
}

/**
 * Every service of the list in this process, in list order, with both roles (or the API alone), each listening on
 * `host` and the port its configuration names (0: a free one). What `npm start`, `npm run seed`
 * and the test harness run.
 */
export async function startServices(options: {
  backend: Backend;
  /** The environment a service's configuration is parsed from. */
  env: (name: ServiceName) => Record<string, string | undefined>;
  host?: string;
  /** The service modules, when imported statically (a bundle cannot follow `@moim/${name}`). */
  modules?: Readonly<Record<ServiceName, ServiceModule>>;
  /** Ends a start that is waiting (for a migrate job): the process was told to stop. */
  signal?: AbortSignal;
  /** `all` (default); `api` for a command that only asks the services (no events, jobs or workers' loops). */
  role?: 'all' | 'api';
}): Promise<StartedServices> {
  const services = new Map<ServiceName, RunningService>();
  const urls = new Map<ServiceName, string>();
  const stop = async () => {
    for (const s of [...services.values()].reverse()) await s.stop();
  };
  try {
    for (const { name } of SERVICES) {
      const module = options.modules?.[name] ?? (await loadServiceModule(name));
      const config = module.loadEnv(options.env(name));
      const running = await startService(module.define(config), config, {
        backend: options.backend,
        role: options.role ?? 'all',
        signal: options.signal,
      });
      services.set(name, running);
      urls.set(name, `${await running.listen(config.PORT, options.host ?? '127.0.0.1')}/graphql`);
    }
    return { services, urls, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
