import { isAdmin, type Caller, type PageArgs } from '@moim/kit';
import type { Post, Target } from '../entities';
import type { SocialContext } from '../domain/context';
import { canSeePost } from '../domain/posts';
import * as reactions from '../domain/reactions';

/** Hidden targets are seen by admins and their author only; deleted ones by nobody. */
const canSeeTarget = (caller: Caller, target: Target) =>
  target.state === 'VISIBLE' ||
  (target.state === 'HIDDEN' && (isAdmin(caller) || target.authorId === caller.userId));

/**
 * A target as the InteractionTarget the caller may see, or null. A review is a reference the
 * gateway completes in review; a post is social's own, so it is loaded here (batched).
 */
export async function targetObject(ctx: SocialContext, target: Target | null) {
  if (!target || !canSeeTarget(ctx.caller, target)) return null;
  if (target.kind === 'REVIEW') return { __typename: 'Review', id: target.id };
  const post = await ctx.loaders.post.load(target.id);
  return post && canSeePost(ctx.caller, post) ? { __typename: 'Post', ...post } : null;
}

const SHARE_PATH = /^\/([rp])\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/?$/i;

/** The target id and kind a share link of ours names, or null for any other URL. */
export function parseShareUrl(url: string, base: string): { kind: Target['kind']; id: string } | null {
  let link: URL;
  let ours: URL;
  try {
    link = new URL(url);
    ours = new URL(base);
  } catch {
    return null;
  }
  if (link.origin !== ours.origin) return null;
  const prefix = ours.pathname.replace(/\/+$/, '');
  if (!link.pathname.startsWith(`${prefix}/`)) return null;
  const match = SHARE_PATH.exec(link.pathname.slice(prefix.length));
  if (!match) return null;
  return { kind: match[1] === 'r' ? 'REVIEW' : 'POST', id: match[2]!.toLowerCase() };
}

type Targetish = { id: string };

/** Fields every InteractionTarget has, resolved from the id alone (batched per page). */
const interactionFields = {
  comments: (t: Targetish, args: PageArgs, ctx: SocialContext) =>
    ctx.loaders.commentsOfTarget(args).load(t.id),
  commentCount: (t: Targetish, _: unknown, ctx: SocialContext) => ctx.loaders.commentCount.load(t.id),
  likeCount: (t: Targetish, _: unknown, ctx: SocialContext) => ctx.loaders.likeCount.load(t.id),
  viewerHasLiked: (t: Targetish, _: unknown, ctx: SocialContext) => ctx.loaders.viewerLiked.load(t.id),
  viewerHasScrapped: (t: Targetish, _: unknown, ctx: SocialContext) => ctx.loaders.viewerScrapped.load(t.id),
};

export const targetResolvers = {
  InteractionTarget: {
    __resolveType: (target: { __typename: string }) => target.__typename,
  },
  Review: {
    // Review owns reviews and decides who sees them; social only adds fields by id.
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    ...interactionFields,
    shareUrl: (review: Targetish, _: unknown, ctx: SocialContext) =>
      `${ctx.deps.config.APP_LINK_BASE}/r/${review.id}`,
  },
  Post: interactionFields,
  Query: {
    sharedTarget: async (_: unknown, args: { url: string }, ctx: SocialContext) => {
      const link = parseShareUrl(args.url, ctx.deps.config.APP_LINK_BASE);
      if (!link) return null;
      const target = await ctx.loaders.target.load(link.id);
      return target?.kind === link.kind ? targetObject(ctx, target) : null;
    },
  },
  Mutation: {
    like: async (_: unknown, args: { targetId: string }, ctx: SocialContext) =>
      targetObject(ctx, await reactions.react(ctx.deps, ctx.caller, 'like', args.targetId)),
    unlike: async (_: unknown, args: { targetId: string }, ctx: SocialContext) =>
      targetObject(ctx, await reactions.unreact(ctx.deps, ctx.caller, 'like', args.targetId)),
    scrap: async (_: unknown, args: { targetId: string }, ctx: SocialContext) =>
      targetObject(ctx, await reactions.react(ctx.deps, ctx.caller, 'scrap', args.targetId)),
    unscrap: async (_: unknown, args: { targetId: string }, ctx: SocialContext) =>
      targetObject(ctx, await reactions.unreact(ctx.deps, ctx.caller, 'scrap', args.targetId)),
  },
  User: {
    scraps: async (user: { id: string }, args: PageArgs, ctx: SocialContext) => {
      if (ctx.caller.userId !== user.id) return null;
      const page = await reactions.scrapPage(ctx.deps, ctx.caller, user.id, args);
      const posts = await ctx.loaders.post.loadMany(
        page.rows.filter((r) => r.row.kind === 'POST').map((r) => r.row.targetId),
      );
      const postById = new Map(
        posts.filter((p): p is Post => p != null && !(p instanceof Error)).map((p) => [p.id, p]),
      );
      const edges = page.rows.flatMap(({ cursor, row }) => {
        if (row.kind === 'REVIEW')
          return [{ cursor, scrappedAt: row.scrappedAt, node: { __typename: 'Review', id: row.targetId } }];
        const post = postById.get(row.targetId);
        return post ? [{ cursor, scrappedAt: row.scrappedAt, node: { __typename: 'Post', ...post } }] : [];
      });
      return { edges, pageInfo: page.pageInfo };
    },
  },
};
