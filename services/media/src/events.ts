import type { EventHandlers } from '@moim/kit';

// TODO(helper M3): attach and detach.
export const mediaEventHandlers: EventHandlers = {
  'media.attached': async () => {},
  'media.detached': async () => {},
};
