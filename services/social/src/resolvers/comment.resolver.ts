import type { Connection, PageArgs } from '@moim/kit';
import type { Comment } from '../entities';
import * as comments from '../domain/comments';
import type { SocialContext } from '../domain/context';
import { targetObject } from './target.resolver';

/**
 * A comment given as itself or as a reference (`{ __typename: 'Comment', id }`, as notifications
 * give it): the reference is loaded, batched.
 */
async function commentOf(ctx: SocialContext, comment: CommentParent): Promise<Comment> {
  if ('targetId' in comment) return comment;
  const loaded = await ctx.loaders.comment.load(comment.id);
  if (!loaded) throw new Error(`Comment ${comment.id} is gone`);
  return loaded;
}

type CommentParent = Comment | { id: string };
const EMPTY: Connection<Comment> = { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };

export const commentResolvers = {
  Mutation: {
    addComment: (
      _: unknown,
      args: { targetId: string; body: string; parentId?: string | null },
      ctx: SocialContext,
    ) => comments.addComment(ctx.deps, ctx.caller, args.targetId, args.body, args.parentId),
    editComment: (_: unknown, args: { id: string; body: string }, ctx: SocialContext) =>
      comments.editComment(ctx.deps, ctx.caller, args.id, args.body),
    deleteComment: (_: unknown, args: { id: string }, ctx: SocialContext) =>
      comments.deleteComment(ctx.deps, ctx.caller, args.id),
  },
  Comment: {
    __resolveReference: (ref: { id: string }, ctx: SocialContext) => ctx.loaders.comment.load(ref.id),
    body: async (c: CommentParent, _: unknown, ctx: SocialContext) => {
      const comment = await commentOf(ctx, c);
      return comment.deletedAt ? null : comment.body;
    },
    author: async (c: CommentParent, _: unknown, ctx: SocialContext) => {
      const comment = await commentOf(ctx, c);
      return comment.deletedAt ? null : ctx.loaders.user.load(comment.authorId);
    },
    deleted: async (c: CommentParent, _: unknown, ctx: SocialContext) =>
      (await commentOf(ctx, c)).deletedAt != null,
    target: async (c: CommentParent, _: unknown, ctx: SocialContext) =>
      targetObject(ctx, await ctx.loaders.target.load((await commentOf(ctx, c)).targetId)),
    parent: async (c: CommentParent, _: unknown, ctx: SocialContext) => {
      const { parentId } = await commentOf(ctx, c);
      return parentId ? ctx.loaders.comment.load(parentId) : null;
    },
    // Replies have no replies: only top-level comments ask.
    replies: async (c: CommentParent, args: PageArgs, ctx: SocialContext) =>
      (await commentOf(ctx, c)).parentId ? EMPTY : ctx.loaders.replies(args).load(c.id),
    replyCount: async (c: CommentParent, _: unknown, ctx: SocialContext) =>
      (await commentOf(ctx, c)).parentId ? 0 : ctx.loaders.replyCount.load(c.id),
    createdAt: async (c: CommentParent, _: unknown, ctx: SocialContext) =>
      (await commentOf(ctx, c)).createdAt,
    editedAt: async (c: CommentParent, _: unknown, ctx: SocialContext) => (await commentOf(ctx, c)).editedAt,
  },
  User: {
    comments: (user: { id: string }, args: PageArgs, ctx: SocialContext) =>
      ctx.caller.userId === user.id ? ctx.loaders.commentsByAuthor(args).load(user.id) : null,
  },
};
