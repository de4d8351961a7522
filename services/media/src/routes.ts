import type { HttpRoute } from '@moim/kit';
import type { MediaDeps } from './domain/context';

// TODO(helper M1): PUT /uploads/<id> and GET /media/<id>/<variant>.<ext> for the local adapter.
export function mediaRoutes(deps: MediaDeps): HttpRoute[] {
  void deps;
  return [];
}
