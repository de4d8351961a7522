import type { ServiceName } from '@moim/events';
import type { ServiceModule } from '@moim/kit';
import { service as chat } from '@moim/chat';
import { service as courseCatalog } from '@moim/course-catalog';
import { service as media } from '@moim/media';
import { service as review } from '@moim/review';
import { service as social } from '@moim/social';

/**
 * Every service module, imported statically: the commands built into the image are bundles, and a
 * bundle cannot follow the kit's `import(`@moim/${name}`)`. The type makes a service missing here
 * a compile error.
 */
const modules = {
  social,
  review,
  media,
  'course-catalog': courseCatalog,
  chat,
} satisfies Record<ServiceName, { name: ServiceName }>;

// Each module's deps type is its own; the kit handles them as the common one.
export const SERVICE_MODULES = modules as unknown as Readonly<Record<ServiceName, ServiceModule>>;
