import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import {
  pageOf,
  newestFirst,
  afterKeyset,
  badInput,
  forbidden,
  isAdmin,
  loadPages,
  lockRows,
  newestPerParent,
  newId,
  notFound,
  parseId,
  requireUser,
  type Caller,
  type Connection,
  type Keyset,
  type PageArgs,
  type RateLimit,
} from '@moim/kit';
import {
  CommentEntity,
  LikeEntity,
  PostEntity,
  PostImageEntity,
  ScrapEntity,
  TargetEntity,
  type Post,
} from '../entities';
import { withoutBlocked } from './blocks';
import type { SocialDeps } from './context';
import { imageIdsOf, orderedImages } from '@moim/media-refs';
import { announcePost, announcePostDeleted } from './searchable';
import { requiredText, savePostTarget } from './targets';

/** Ten posts per ten minutes per user: enough to talk, too few to flood a board. */
export const POSTS_PER_USER: RateLimit = {
  name: 'posts:user',
  max: 10,
  windowSeconds: 600,
  whenUnavailable: 'allow',
};

const BOARD = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** A board key: lowercase letters, digits and -, 1 to 40 characters, surrounding spaces trimmed. */
export function validBoard(value: string): string {
  const board = value.trim();
  if (!board) throw badInput('board must not be empty', 'board');
  if (!BOARD.test(board))
    throw badInput(
      'board must be 1 to 40 lowercase letters, digits or - (starting with a letter or digit)',
      'board',
    );
  return board;
}

const validTitle = (value: string) => requiredText(value, 'title', 100);
const validBody = (value: string) => requiredText(value, 'body', 10_000);

/** Hidden posts are seen by admins and their author only. */
export const canSeePost = (caller: Caller, post: Pick<Post, 'hidden' | 'authorId'>): boolean =>
  !post.hidden || isAdmin(caller) || post.authorId === caller.userId;

/** What lists show the caller: hidden posts only to admins and their author, nothing by people they block. */
function applyVisibility(qb: SelectQueryBuilder<Post>, caller: Caller) {
  if (!isAdmin(caller)) {
    if (caller.userId)
      qb.andWhere('(p.hidden = :notHidden OR p.author_id = :postViewerId)', {
        notHidden: false,
        postViewerId: caller.userId,
      });
    else qb.andWhere('p.hidden = :notHidden', { notHidden: false });
  }
  withoutBlocked(qb, 'p.author_id', caller.userId);
}

export interface PostInput {
  board: string;
  title: string;
  body: string;
  /** Media ids of the caller's uploads (purpose POST), in the order shown; at most 10. */
  imageIds?: string[] | null;
}

export interface PostChanges {
  title?: string | null;
  body?: string | null;
  /** Replaces the images (an empty list removes them all); null or absent leaves them. */
  imageIds?: string[] | null;
}

/** The subject media knows a post's images by. */
export const postSubject = (postId: string) => `post:${postId}`;

/** The post's images, in order (@moim/media-refs). */
const postImages = orderedImages({
  entity: PostImageEntity as never,
  parent: 'postId',
  purpose: 'POST',
  noun: 'a post',
  subjectOf: postSubject,
});

export async function createPost(deps: SocialDeps, caller: Caller, input: PostInput): Promise<Post> {
  const authorId = requireUser(caller);
  const board = validBoard(input.board);
  const title = validTitle(input.title);
  const body = validBody(input.body);
  const imageIds = imageIdsOf(input.imageIds) ?? [];
  await deps.rateLimiter.hit(POSTS_PER_USER, authorId);
  const now = new Date();
  const post: Post = {
    id: newId(),
    board,
    title,
    body,
    authorId,
    hidden: false,
    createdAt: now,
    updatedAt: now,
  };
  await deps.db.transaction(async (manager) => {
    await manager.insert(PostEntity, post);
    await postImages.set(manager, post.id, authorId, [], imageIds);
    await savePostTarget(manager, post.id, authorId, 'VISIBLE');
    await announcePost(manager, post);
  });
  return post;
}

/** The post for a change by the caller: NOT_FOUND when missing or hidden from them, FORBIDDEN unless theirs or an admin's. */
async function postToChange(manager: EntityManager, caller: Caller, id: string): Promise<Post> {
  const userId = requireUser(caller);
  const postId = parseId(id);
  await lockRows(manager, PostEntity, { id: postId });
  const post = await manager.findOneBy(PostEntity, { id: postId });
  if (!post || !canSeePost(caller, post)) throw notFound('No post with this id');
  if (post.authorId !== userId && !isAdmin(caller))
    throw forbidden('Only its author or an admin may change this post');
  return post;
}

export async function updatePost(
  deps: SocialDeps,
  caller: Caller,
  id: string,
  input: PostChanges,
): Promise<Post> {
  const userId = requireUser(caller);
  const changes: Partial<Post> = {};
  if (input.title != null) changes.title = validTitle(input.title);
  if (input.body != null) changes.body = validBody(input.body);
  const imageIds = imageIdsOf(input.imageIds);
  return deps.db.transaction(async (manager) => {
    const post = await postToChange(manager, caller, id);
    // New images must be the caller's uploads (an admin's, when an admin edits); kept ones stay.
    if (imageIds) {
      const current = await postImages.of(manager, post.id);
      if (current.join() !== imageIds.join()) {
        await postImages.set(manager, post.id, userId, current, imageIds);
        changes.updatedAt = new Date();
      }
    }
    if (!Object.keys(changes).length) return post;
    changes.updatedAt = new Date();
    await manager.update(PostEntity, { id: post.id }, changes);
    const updated = { ...post, ...changes };
    // Images alone are not searched.
    if (changes.title !== undefined || changes.body !== undefined) await announcePost(manager, updated);
    return updated;
  });
}

/** Removes the post with its comments, likes and scraps; its target row stays, DELETED. */
export async function deletePost(deps: SocialDeps, caller: Caller, id: string): Promise<string> {
  return deps.db.transaction(async (manager) => {
    const post = await postToChange(manager, caller, id);
    // Its images are let go: media removes them (media.detached).
    await postImages.set(manager, post.id, post.authorId, await postImages.of(manager, post.id), []);
    await manager.delete(CommentEntity, { targetId: post.id });
    await manager.delete(LikeEntity, { targetId: post.id });
    await manager.delete(ScrapEntity, { targetId: post.id });
    await manager.delete(PostEntity, { id: post.id });
    await savePostTarget(manager, post.id, post.authorId, 'DELETED');
    await announcePostDeleted(manager, post.id);
    return post.id;
  });
}

/**
 * Hides or shows a post (moderation: resolveReport HIDE) in the caller's transaction, its target
 * row and its search document with it; false when there is no such post.
 */
export async function setPostHidden(
  manager: EntityManager,
  postId: string,
  hidden: boolean,
): Promise<boolean> {
  const updated = await manager.update(PostEntity, { id: postId }, { hidden });
  if (!updated.affected) return false;
  await manager.update(TargetEntity, { id: postId }, { state: hidden ? 'HIDDEN' : 'VISIBLE' });
  await announcePost(manager, await manager.findOneByOrFail(PostEntity, { id: postId }));
  return true;
}

/** A board's posts the caller may see, newest first, by keyset on (created_at, id). */
export async function boardPosts(
  deps: SocialDeps,
  caller: Caller,
  rawBoard: string,
  args: PageArgs,
): Promise<Connection<Post>> {
  const board = validBoard(rawBoard);
  const page = pageOf(args);
  const qb = deps.db.dataSource
    .getRepository(PostEntity)
    .createQueryBuilder('p')
    .where('p.board = :board', { board });
  applyVisibility(qb, caller);
  return newestFirst(qb, 'p', page);
}

/**
 * Pages of posts for many authors (User.posts) or boards (University.posts) at once: the newest
 * `size + 1` per parent in one statement, then the posts in one batch.
 */
export function postsByParent(
  deps: SocialDeps,
  caller: Caller,
  loadPosts: (ids: string[]) => Promise<Array<Post | null>>,
  parent: 'author_id' | 'board',
) {
  return async (
    parentIds: readonly string[],
    size: number,
    after: Keyset | null,
  ): Promise<Map<string, Post[]>> => {
    const qb = deps.db.dataSource.getRepository(PostEntity).createQueryBuilder('p');
    applyVisibility(qb, caller);
    afterKeyset(qb, after, 'p');
    const pages = await newestPerParent(qb, { alias: 'p', parent, id: 'id' }, parentIds, size + 1);
    return loadPages(pages, loadPosts, (_, post) => post);
  };
}
