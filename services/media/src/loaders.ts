import type DataLoader from 'dataloader';
import { In } from 'typeorm';
import { keyedLoader } from '@moim/kit';
import { MediaEntity, type Media } from './entities';
import type { MediaDeps } from './domain/context';

export interface MediaLoaders {
  media: DataLoader<string, Media | null>;
}

/** Built per request: every Media of a page (a review's images, a feed's avatars) in one query. */
export function createLoaders(deps: MediaDeps): MediaLoaders {
  return {
    media: keyedLoader(
      (ids: readonly string[]) => deps.db.dataSource.getRepository(MediaEntity).findBy({ id: In([...ids]) }),
      (m) => m.id,
    ),
  };
}
