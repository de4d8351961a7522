import type { EntityManager } from 'typeorm';
import {
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
  recordEvent,
  requireUser,
  type Caller,
  type Keyset,
  type RateLimit,
} from '@moim/kit';
import { CommentEntity, TargetEntity, type Comment, type Target } from '../entities';
import { isBlocking, withoutBlocked } from './blocks';
import type { SocialDeps } from './context';
import { notify } from './notifications';
import { interactableTarget, requiredText } from './targets';

/** Thirty comments (replies included) per five minutes per user. */
export const COMMENTS_PER_USER: RateLimit = {
  name: 'comments:user',
  max: 30,
  windowSeconds: 300,
  whenUnavailable: 'allow',
};

export const MAX_COMMENT_LENGTH = 1000;

const validBody = (value: string) => requiredText(value, 'body', MAX_COMMENT_LENGTH);

/** A comment made or deleted, for review's popular tab (a weak signal of taste), in the caller's transaction. */
const announceComment = (manager: EntityManager, made: boolean, comment: Comment, target: Target, at: Date) =>
  recordEvent(manager, made ? 'comment.created' : 'comment.deleted', {
    commentId: comment.id,
    userId: comment.authorId,
    targetKind: target.kind,
    targetId: target.id,
    at: at.toISOString(),
  });

/**
 * Comments on a visible review or post. A reply answers a top-level comment of the same target
 * that is not deleted, and whose author does not block the caller. The target's author is told
 * (COMMENT), and for a reply the parent's author too (REPLY), in the same transaction.
 */
export async function addComment(
  deps: SocialDeps,
  caller: Caller,
  targetId: string,
  rawBody: string,
  rawParentId: string | null | undefined,
): Promise<Comment> {
  const authorId = requireUser(caller);
  const body = validBody(rawBody);
  const parentId = rawParentId == null ? null : parseId(rawParentId, 'parentId');
  await deps.rateLimiter.hit(COMMENTS_PER_USER, authorId);
  return deps.db.transaction(async (manager) => {
    const target = await interactableTarget(manager, caller, targetId);
    let parent: Comment | null = null;
    if (parentId) {
      // Deleting the parent waits for this reply (and the other way round): no reply under a removed comment.
      await lockRows(manager, CommentEntity, { id: parentId });
      parent = await manager.findOneBy(CommentEntity, { id: parentId });
      if (!parent) throw notFound('No comment with this parentId');
      if (parent.targetId !== target.id)
        throw badInput('parentId is a comment on another target', 'parentId');
      if (parent.parentId)
        throw badInput('Replies are one level deep: reply to the top-level comment', 'parentId');
      if (parent.deletedAt) throw badInput('That comment was deleted', 'parentId');
      if (await isBlocking(manager, parent.authorId, authorId)) throw forbidden('The author has blocked you');
    }
    const comment: Comment = {
      id: newId(),
      targetId: target.id,
      parentId,
      authorId,
      body,
      deletedAt: null,
      createdAt: new Date(),
      editedAt: null,
    };
    await manager.insert(CommentEntity, comment);
    await announceComment(manager, true, comment, target, comment.createdAt);
    const about = { actorId: authorId, targetId: target.id, commentId: comment.id };
    if (parent) {
      await notify(manager, deps.config, { kind: 'REPLY', recipientId: parent.authorId, ...about });
      if (target.authorId !== parent.authorId)
        await notify(manager, deps.config, { kind: 'COMMENT', recipientId: target.authorId, ...about });
    } else {
      await notify(manager, deps.config, { kind: 'COMMENT', recipientId: target.authorId, ...about });
    }
    return comment;
  });
}

/** A comment that is there (not deleted), locked for the rest of the transaction. */
async function liveComment(manager: EntityManager, id: string): Promise<Comment> {
  const commentId = parseId(id);
  await lockRows(manager, CommentEntity, { id: commentId });
  const comment = await manager.findOneBy(CommentEntity, { id: commentId });
  if (!comment || comment.deletedAt) throw notFound('No comment with this id');
  return comment;
}

/** Its author only, while they may still comment on the target. */
export async function editComment(
  deps: SocialDeps,
  caller: Caller,
  id: string,
  rawBody: string,
): Promise<Comment> {
  const userId = requireUser(caller);
  const body = validBody(rawBody);
  return deps.db.transaction(async (manager) => {
    const comment = await liveComment(manager, id);
    if (comment.authorId !== userId) throw forbidden('Only its author may edit this comment');
    await interactableTarget(manager, caller, comment.targetId);
    const editedAt = new Date();
    await manager.update(CommentEntity, { id: comment.id }, { body, editedAt });
    return { ...comment, body, editedAt };
  });
}

/**
 * By its author, the target's author or an admin. A top-level comment with replies stays as a
 * "deleted" placeholder (body NULL) so the thread keeps its shape; any other is removed, and a
 * placeholder whose last reply goes is removed with it.
 */
export async function deleteComment(deps: SocialDeps, caller: Caller, id: string): Promise<string> {
  const userId = requireUser(caller);
  return deps.db.transaction(async (manager) => {
    const comment = await liveComment(manager, id);
    const target = await manager.findOneBy(TargetEntity, { id: comment.targetId });
    if (comment.authorId !== userId && target?.authorId !== userId && !isAdmin(caller))
      throw forbidden('Only its author, the author of what it is on, or an admin may delete this comment');
    // Replies are counted with locking reads: they see the latest commits, not this
    // transaction's first snapshot (taken before the parent's lock was ours, on MySQL).
    const hasReplies = (parentId: string) => lockRows(manager, CommentEntity, { parentId });
    if (comment.parentId) {
      await lockRows(manager, CommentEntity, { id: comment.parentId });
      await manager.delete(CommentEntity, { id: comment.id });
      const parent = await manager.findOneBy(CommentEntity, { id: comment.parentId });
      if (parent?.deletedAt && !(await hasReplies(parent.id)))
        await manager.delete(CommentEntity, { id: parent.id });
    } else if (await hasReplies(comment.id)) {
      await manager.update(CommentEntity, { id: comment.id }, { body: null, deletedAt: new Date() });
    } else {
      await manager.delete(CommentEntity, { id: comment.id });
    }
    if (target) await announceComment(manager, false, comment, target, new Date());
    return comment.id;
  });
}

export type CommentParent = 'target' | 'parent' | 'author';

/**
 * Pages of comments for many parents at once: the top-level comments of targets, the replies of
 * comments, or a user's own comments (not deleted). The newest `size + 1` per parent in one
 * statement, then the comments in one batch; comments by people the viewer blocks are left out.
 */
export function commentsOf(
  deps: SocialDeps,
  viewerId: string | null,
  parent: CommentParent,
  loadComments: (ids: string[]) => Promise<Array<Comment | null>>,
) {
  return async (
    parentIds: readonly string[],
    size: number,
    after: Keyset | null,
  ): Promise<Map<string, Comment[]>> => {
    const qb = deps.db.dataSource.getRepository(CommentEntity).createQueryBuilder('c');
    if (parent === 'target') qb.andWhere('c.parent_id IS NULL');
    if (parent === 'author') qb.andWhere('c.deleted_at IS NULL');
    else withoutBlocked(qb, 'c.author_id', viewerId);
    afterKeyset(qb, after, 'c');
    const column = parent === 'target' ? 'target_id' : parent === 'parent' ? 'parent_id' : 'author_id';
    const pages = await newestPerParent(qb, { alias: 'c', parent: column, id: 'id' }, parentIds, size + 1);
    return loadPages(pages, loadComments, (_, comment) => comment);
  };
}
