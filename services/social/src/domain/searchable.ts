import type { EntityManager, EntitySchema, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { SearchableChange, SearchDocument } from '@moim/events';
import { keysetPage, recordSearchableChanges, type SearchableSource } from '@moim/kit';
import { PostEntity, UserEntity, type Post, type User } from '../entities';
import type { SocialDeps } from './context';

/**
 * What social owns that people search for — users and board posts — as the search subgraph
 * learns it: announced with each change, and served page by page for a rebuild, both through
 * `toSearchDocument`.
 */

type UserRow = Pick<User, 'id' | 'nickname' | 'bio' | 'createdAt'>;
type PostRow = Pick<Post, 'id' | 'title' | 'body' | 'authorId' | 'hidden' | 'createdAt'>;
type Searchable = { kind: 'USER'; row: UserRow } | { kind: 'POST'; row: PostRow };

/** The document of a user or post, or null for a post nobody but its author and admins sees. */
export function toSearchDocument({ kind, row }: Searchable): SearchDocument | null {
  if (kind === 'USER')
    return {
      kind,
      id: row.id,
      title: row.nickname,
      body: row.bio ?? '',
      authorId: row.id,
      popularity: 0,
      createdAt: row.createdAt.toISOString(),
    };
  if (row.hidden) return null;
  return {
    kind,
    id: row.id,
    title: row.title,
    body: row.body,
    authorId: row.authorId,
    popularity: 0,
    createdAt: row.createdAt.toISOString(),
  };
}

const changeOf = (thing: Searchable): SearchableChange => ({
  kind: thing.kind,
  id: thing.row.id,
  document: toSearchDocument(thing),
});

/** Users as they are now (signed up, or their nickname or bio changed), in the caller's transaction. */
export const announceUsers = (manager: EntityManager, users: UserRow[]) =>
  recordSearchableChanges(
    manager,
    users.map((row) => changeOf({ kind: 'USER', row })),
  );

/** A post as it is now: its document, or null while hidden. */
export const announcePost = (manager: EntityManager, row: PostRow) =>
  recordSearchableChanges(manager, [changeOf({ kind: 'POST', row })]);

/** A post that is gone. */
export const announcePostDeleted = (manager: EntityManager, postId: string) =>
  recordSearchableChanges(manager, [{ kind: 'POST', id: postId, document: null }]);

/** Every user and every post not hidden, in id order, for `npm run reindex`. */
export function searchableSource(deps: SocialDeps): SearchableSource {
  return {
    kinds: ['USER', 'POST'],
    async page(kind, after, limit) {
      const rows = <T extends UserRow | PostRow>(qb: SelectQueryBuilder<T>) => {
        if (after) qb.andWhere('t.id > :after', { after });
        return qb
          .orderBy('t.id', 'ASC')
          .limit(limit + 1)
          .getMany();
      };
      const repo = <T extends ObjectLiteral>(entity: EntitySchema<T>) =>
        deps.db.dataSource.getRepository(entity).createQueryBuilder('t');
      const documents =
        kind === 'USER'
          ? (await rows(repo(UserEntity).select(['t.id', 't.nickname', 't.bio', 't.createdAt']))).map((row) =>
              toSearchDocument({ kind, row })!,
            )
          : (await rows(repo(PostEntity).where('t.hidden = :hidden', { hidden: false }))).map((row) =>
              toSearchDocument({ kind: 'POST', row })!,
            );
      return keysetPage(documents, limit);
    },
  };
}
