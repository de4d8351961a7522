import { In } from 'typeorm';
import {
  connectionLoader,
  countLoader,
  keyedLoader,
  marks,
  rowReader,
  sqlPerShape,
  type Caller,
  type Connection,
  type PageArgs,
} from '@moim/kit';
import DataLoader from 'dataloader';
import {
  CommentEntity,
  FollowEntity,
  LikeEntity,
  MediaRefEntity,
  PostEntity,
  PostImageEntity,
  ScrapEntity,
  TargetEntity,
  UserEntity,
  type Comment,
  type MediaRef,
  type Post,
  type Target,
  type User,
} from './entities';
import { withoutBlocked } from './domain/blocks';
import { commentsOf } from './domain/comments';
import type { SocialDeps } from './domain/context';
import { followLinks, type FollowLink } from './domain/follows';
import { postsByParent } from './domain/posts';

// Written SQL for the reads of every `__resolveReference` batch of users (see the kit's rowReader),
// one text per number of ids.
const USERS_BY_ID = sqlPerShape((count: number) => `SELECT u.* FROM users u WHERE u.id IN (${marks(count)})`);
/** Key `<column>:<count>`. */
const FOLLOW_COUNTS = sqlPerShape((key: string) => {
  const [column, count] = key.split(':');
  return `SELECT f.${column} AS k, COUNT(*) AS n FROM follows f WHERE f.${column} IN (${marks(Number(count))}) GROUP BY f.${column}`;
});

export interface SocialLoaders {
  user: DataLoader<string, User | null>;
  followerCount: DataLoader<string, number>;
  followingCount: DataLoader<string, number>;
  /** Whether the viewer follows each key. */
  viewerFollows: DataLoader<string, boolean>;
  followers: (args: PageArgs) => DataLoader<string, Connection<FollowLink>>;
  following: (args: PageArgs) => DataLoader<string, Connection<FollowLink>>;
  /** Posts by id, whoever may see them (resolvers decide). */
  post: DataLoader<string, Post | null>;
  /** Each author's posts the caller (the request's, always the same) may see, newest first. */
  postsByAuthor: (args: PageArgs, caller: Caller) => DataLoader<string, Connection<Post>>;
  /** Each board's posts (a university's board key), newest first. */
  postsByBoard: (args: PageArgs, caller: Caller) => DataLoader<string, Connection<Post>>;
  /** Targets (reviews and posts) by id, in any state. */
  target: DataLoader<string, Target | null>;
  /** Comments by id, deleted placeholders included. */
  comment: DataLoader<string, Comment | null>;
  /** Each target's top-level comments, newest first, without those by people the viewer blocks. */
  commentsOfTarget: (args: PageArgs) => DataLoader<string, Connection<Comment>>;
  /** Each comment's replies, newest first, without those by people the viewer blocks. */
  replies: (args: PageArgs) => DataLoader<string, Connection<Comment>>;
  /** Each user's own comments (not deleted), newest first. */
  commentsByAuthor: (args: PageArgs) => DataLoader<string, Connection<Comment>>;
  /** Comments and replies per target that are not deleted (nor by people the viewer blocks). */
  commentCount: DataLoader<string, number>;
  /** Replies per comment (not by people the viewer blocks). */
  replyCount: DataLoader<string, number>;
  likeCount: DataLoader<string, number>;
  /** Whether the viewer likes each target. */
  viewerLiked: DataLoader<string, boolean>;
  /** Whether the viewer scrapped each target. */
  viewerScrapped: DataLoader<string, boolean>;
  /** Each post's images in order, leaving out uploads media failed to process. */
  postImages: DataLoader<string, string[]>;
  /** What social knows of uploads (avatars), by media id. */
  mediaRef: DataLoader<string, MediaRef | null>;
}

/** Built per request, so batching and caching never leak between callers. */
export function createLoaders(deps: SocialDeps, viewerId: string | null): SocialLoaders {
  const ds = deps.db.dataSource;
  const follows = ds.getRepository(FollowEntity);
  const countBy = (column: 'follower_id' | 'followee_id') =>
    countLoader<string>(async (ids) => {
      const rows: Array<{ k: string; n: number | string }> = await ds.query(
        FOLLOW_COUNTS(`${column}:${ids.length}`),
        [...ids],
      );
      return rows.map((r) => ({ key: r.k, count: r.n }));
    });
  const user = keyedLoader(
    (ids: readonly string[]) => rowReader(ds, UserEntity).all(USERS_BY_ID(ids.length), ids),
    (u) => u.id,
  );
  const loadUsers = async (ids: string[]) =>
    (await user.loadMany(ids)).map((u) => (u instanceof Error ? null : u));
  const pageKey = (link: FollowLink) => ({ createdAt: link.createdAt, id: link.user.id });

  const post = keyedLoader(
    (ids: readonly string[]) => ds.getRepository(PostEntity).findBy({ id: In([...ids]) }),
    (p) => p.id,
  );
  const loadPosts = async (ids: string[]) =>
    (await post.loadMany(ids)).map((p) => (p instanceof Error ? null : p));
  const comment = keyedLoader(
    (ids: readonly string[]) => ds.getRepository(CommentEntity).findBy({ id: In([...ids]) }),
    (c) => c.id,
  );
  const loadComments = async (ids: string[]) =>
    (await comment.loadMany(ids)).map((c) => (c instanceof Error ? null : c));
  const byKeyset = (c: Comment) => c;
  // Which posts a list shows depends on the caller's role too, which resolvers hand over.
  let postsByAuthor: ((args: PageArgs) => DataLoader<string, Connection<Post>>) | undefined;
  let postsByBoard: ((args: PageArgs) => DataLoader<string, Connection<Post>>) | undefined;

  /** Counts comments per `column`, one statement for every key of a plan level. */
  const commentCountBy = (column: 'target_id' | 'parent_id') =>
    countLoader<string>((ids) =>
      withoutBlocked(
        ds
          .getRepository(CommentEntity)
          .createQueryBuilder('c')
          .select(`c.${column}`, 'key')
          .addSelect('COUNT(*)', 'count')
          .where(`c.${column} IN (:...ids)`, { ids })
          .andWhere('c.deleted_at IS NULL'),
        'c.author_id',
        viewerId,
      )
        .groupBy(`c.${column}`)
        .getRawMany(),
    );
  /** Which of the keys the viewer liked (or scrapped): one statement, none when logged out. */
  const viewerHas = (entity: typeof LikeEntity) =>
    new DataLoader<string, boolean>(async (ids) => {
      if (!viewerId) return ids.map(() => false);
      const rows = await ds.getRepository(entity).findBy({ userId: viewerId, targetId: In([...ids]) });
      const has = new Set(rows.map((r) => r.targetId));
      return ids.map((id) => has.has(id));
    });

  return {
    user,
    followers: connectionLoader(followLinks(deps, 'followers', loadUsers), pageKey),
    following: connectionLoader(followLinks(deps, 'following', loadUsers), pageKey),
    followerCount: countBy('followee_id'),
    followingCount: countBy('follower_id'),
    viewerFollows: new DataLoader(async (ids) => {
      if (!viewerId) return ids.map(() => false);
      const followed = new Set(
        (await follows.findBy({ followerId: viewerId, followeeId: In([...ids]) })).map((f) => f.followeeId),
      );
      return ids.map((id) => followed.has(id));
    }),
    post,
    postsByAuthor: (args, caller) =>
      (postsByAuthor ??= connectionLoader(postsByParent(deps, caller, loadPosts, 'author_id'), (p) => p))(
        args,
      ),
    postsByBoard: (args, caller) =>
      (postsByBoard ??= connectionLoader(postsByParent(deps, caller, loadPosts, 'board'), (p) => p))(args),
    target: keyedLoader(
      (ids: readonly string[]) => ds.getRepository(TargetEntity).findBy({ id: In([...ids]) }),
      (t) => t.id,
    ),
    comment,
    commentsOfTarget: connectionLoader(commentsOf(deps, viewerId, 'target', loadComments), byKeyset),
    replies: connectionLoader(commentsOf(deps, viewerId, 'parent', loadComments), byKeyset),
    commentsByAuthor: connectionLoader(commentsOf(deps, viewerId, 'author', loadComments), byKeyset),
    commentCount: commentCountBy('target_id'),
    replyCount: commentCountBy('parent_id'),
    likeCount: countLoader<string>((ids) =>
      ds
        .getRepository(LikeEntity)
        .createQueryBuilder('l')
        .select('l.target_id', 'key')
        .addSelect('COUNT(*)', 'count')
        .where('l.target_id IN (:...ids)', { ids })
        .groupBy('l.target_id')
        .getRawMany(),
    ),
    viewerLiked: viewerHas(LikeEntity),
    viewerScrapped: viewerHas(ScrapEntity),
    postImages: new DataLoader(async (ids) => {
      const rows: Array<{ postId: string; mediaId: string }> = await ds
        .getRepository(PostImageEntity)
        .createQueryBuilder('i')
        .innerJoin(MediaRefEntity.options.name, 'm', 'm.id = i.media_id')
        .select('i.post_id', 'postId')
        .addSelect('i.media_id', 'mediaId')
        .where('i.post_id IN (:...ids)', { ids })
        .andWhere('m.state = :active', { active: 'ACTIVE' })
        .orderBy('i.post_id')
        .addOrderBy('i.position')
        .getRawMany();
      const byPost = new Map<string, string[]>();
      for (const r of rows) byPost.set(r.postId, [...(byPost.get(r.postId) ?? []), r.mediaId]);
      return ids.map((id) => byPost.get(id) ?? []);
    }),
    mediaRef: keyedLoader(
      (ids: readonly string[]) => ds.getRepository(MediaRefEntity).findBy({ id: In([...ids]) }),
      (m) => m.id,
    ),
  };
}
