import { parseId, type PageArgs } from '@moim/kit';
import type { Post } from '../entities';
import type { SocialContext } from '../domain/context';
import * as posts from '../domain/posts';

/**
 * A post given as itself or as a reference (`{ __typename: 'Post', id }`, as notifications and
 * reports give targets): the reference is loaded, batched.
 */
export async function postOf(ctx: SocialContext, post: Post | { id: string }): Promise<Post> {
  if ('authorId' in post) return post;
  const loaded = await ctx.loaders.post.load(post.id);
  if (!loaded) throw new Error(`Post ${post.id} is gone`);
  return loaded;
}

/** A post by id if the caller may see it, else null. */
export async function visiblePost(ctx: SocialContext, id: string): Promise<Post | null> {
  const post = await ctx.loaders.post.load(id);
  return post && posts.canSeePost(ctx.caller, post) ? post : null;
}

type PostParent = Post | { id: string };
const field =
  <K extends keyof Post>(key: K) =>
  async (post: PostParent, _: unknown, ctx: SocialContext) =>
    (await postOf(ctx, post))[key];

export const postResolvers = {
  Query: {
    post: (_: unknown, args: { id: string }, ctx: SocialContext) => visiblePost(ctx, parseId(args.id)),
    posts: (_: unknown, args: PageArgs & { board: string }, ctx: SocialContext) =>
      posts.boardPosts(ctx.deps, ctx.caller, args.board, args),
  },
  Mutation: {
    createPost: (_: unknown, { input }: { input: posts.PostInput }, ctx: SocialContext) =>
      posts.createPost(ctx.deps, ctx.caller, input),
    updatePost: (_: unknown, args: { id: string; input: posts.PostChanges }, ctx: SocialContext) =>
      posts.updatePost(ctx.deps, ctx.caller, args.id, args.input),
    deletePost: (_: unknown, args: { id: string }, ctx: SocialContext) =>
      posts.deletePost(ctx.deps, ctx.caller, args.id),
  },
  Post: {
    __resolveReference: (ref: { id: string }, ctx: SocialContext) => visiblePost(ctx, ref.id),
    board: field('board'),
    title: field('title'),
    body: field('body'),
    hidden: field('hidden'),
    createdAt: field('createdAt'),
    updatedAt: field('updatedAt'),
    author: async (post: PostParent, _: unknown, ctx: SocialContext) =>
      ctx.loaders.user.load((await postOf(ctx, post)).authorId),
    // References media resolves: the gateway asks for a page's images in one batch.
    images: async (post: PostParent, _: unknown, ctx: SocialContext) =>
      (await ctx.loaders.postImages.load(post.id)).map((id) => ({ __typename: 'Media', id })),
    shareUrl: (post: PostParent, _: unknown, ctx: SocialContext) =>
      `${ctx.deps.config.APP_LINK_BASE}/p/${post.id}`,
  },
  University: {
    // The board key comes from course-catalog (@requires): a university's board is a board like any other.
    posts: (university: { boardKey: string }, args: PageArgs, ctx: SocialContext) =>
      ctx.loaders.postsByBoard(args, ctx.caller).load(posts.validBoard(university.boardKey)),
  },
  User: {
    posts: (user: { id: string }, args: PageArgs, ctx: SocialContext) =>
      ctx.loaders.postsByAuthor(args, ctx.caller).load(user.id),
  },
};
