import type { Seeder } from '@moim/demo';
import type { ServiceName } from '@moim/events';
import type { ServiceModule } from '@moim/kit';
import * as chat from '@moim/chat';
import * as courseCatalog from '@moim/course-catalog';
import * as media from '@moim/media';
import * as review from '@moim/review';
import * as search from '@moim/search';
import * as social from '@moim/social';

/**
 * Every service package, imported statically: the commands built into the image are bundles, and a
 * bundle cannot follow the kit's and the demo seed's `import(`@moim/${name}`)`. The type makes a
 * service missing here a compile error.
 */
const packages: Record<ServiceName, { service: { name: ServiceName }; seed?: unknown }> = {
  social,
  review,
  media,
  'course-catalog': courseCatalog,
  chat,
  search,
};

const each = <T>(pick: (p: (typeof packages)[ServiceName]) => unknown) =>
  Object.fromEntries(Object.entries(packages).map(([name, p]) => [name, pick(p)])) as Readonly<
    Record<ServiceName, T>
  >;

// Each module's deps type is its own; the kit handles them as the common one.
export const SERVICE_MODULES = each<ServiceModule>((p) => p.service);

/** Each service's part of the demo data (`seed`), where it has one. */
export const SEEDERS = each<Seeder | undefined>((p) => p.seed);
