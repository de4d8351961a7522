import type { EntityManager } from 'typeorm';
import {
  afterKeyset,
  decodeCursor,
  encodeCursor,
  isAdmin,
  isUniqueViolation,
  pageSize,
  parseId,
  readTime,
  recordEvent,
  requireUser,
  type Caller,
  type RateLimit,
} from '@moim/kit';
import { LikeEntity, ScrapEntity, TargetEntity, type Target, type TargetKind } from '../entities';
import { withoutBlocked } from './blocks';
import type { SocialDeps } from './context';
import { notify } from './notifications';
import { findTarget, interactableTarget } from './targets';

/** Likes, unlikes, scraps and unscraps together: 120 a minute per user. */
export const REACTIONS_PER_USER: RateLimit = {
  name: 'reactions:user',
  max: 120,
  windowSeconds: 60,
  whenUnavailable: 'allow',
};

export type ReactionKind = 'like' | 'scrap';

const entityOf = (kind: ReactionKind) => (kind === 'like' ? LikeEntity : ScrapEntity);

/**
 * A like or scrap made or taken back (only when one was: search counts likes, review learns
 * tastes from both), in the caller's transaction.
 */
function announceReaction(
  manager: EntityManager,
  kind: ReactionKind,
  made: boolean,
  target: Target,
  userId: string,
  at: Date,
) {
  const change = { userId, targetKind: target.kind, targetId: target.id, at: at.toISOString() };
  return recordEvent(manager, `${kind}.${made ? 'created' : 'deleted'}`, change);
}

/**
 * Likes or scraps a target the caller may interact with. Idempotent through the primary key: a
 * second like is no new row, no notification, no event and no error. A new like tells the
 * target's author; a new like or scrap tells search and review, in the same transaction.
 */
export async function react(
  deps: SocialDeps,
  caller: Caller,
  kind: ReactionKind,
  targetId: string,
): Promise<Target> {
  const userId = requireUser(caller);
  const id = parseId(targetId, 'targetId');
  await deps.rateLimiter.hit(REACTIONS_PER_USER, userId);
  return deps.db.transaction(async (manager) => {
    const target = await interactableTarget(manager, caller, id);
    let added = true;
    const createdAt = new Date();
    try {
      await manager.insert(entityOf(kind), { userId, targetId: target.id, createdAt });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      added = false; // already there, perhaps by a parallel request
    }
    if (added && kind === 'like')
      await notify(manager, deps.config, {
        kind: 'LIKE',
        recipientId: target.authorId,
        actorId: userId,
        targetId: target.id,
      });
    if (added) await announceReaction(manager, kind, true, target, userId, createdAt);
    return target;
  });
}

/** Removes a like or scrap from any known target (hidden ones too); nothing to remove is fine. */
export async function unreact(
  deps: SocialDeps,
  caller: Caller,
  kind: ReactionKind,
  targetId: string,
): Promise<Target> {
  const userId = requireUser(caller);
  const id = parseId(targetId, 'targetId');
  await deps.rateLimiter.hit(REACTIONS_PER_USER, userId);
  return deps.db.transaction(async (manager) => {
    const target = await findTarget(manager, id);
    const { affected } = await manager.delete(entityOf(kind), { userId, targetId: target.id });
    // Only one that was there: unliking twice takes nothing back the second time.
    if (affected) await announceReaction(manager, kind, false, target, userId, new Date());
    return target;
  });
}

export interface ScrapRow {
  targetId: string;
  kind: TargetKind;
  scrappedAt: Date;
}

export interface ScrapPage {
  rows: Array<{ cursor: string; row: ScrapRow }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * The caller's scraps, newest scrap first, by keyset on (scrap time, target id): what they may
 * still see (deleted targets, hidden ones unless theirs or the caller is an admin, and those by
 * people they block are left out).
 */
export async function scrapPage(
  deps: SocialDeps,
  caller: Caller,
  userId: string,
  args: { first?: number | null; after?: string | null },
): Promise<ScrapPage> {
  const size = pageSize(args.first);
  const after = args.after ? decodeCursor(args.after) : null;
  const qb = deps.db.dataSource
    .getRepository(ScrapEntity)
    .createQueryBuilder('s')
    .innerJoin(TargetEntity.options.name, 't', 't.id = s.target_id')
    .select('s.target_id', 'targetId')
    .addSelect('s.created_at', 'scrappedAt')
    .addSelect('t.kind', 'kind')
    .where('s.user_id = :userId', { userId });
  if (isAdmin(caller)) qb.andWhere('t.state <> :deleted', { deleted: 'DELETED' });
  else
    qb.andWhere('(t.state = :visible OR (t.state = :hiddenState AND t.author_id = :scrapViewerId))', {
      visible: 'VISIBLE',
      hiddenState: 'HIDDEN',
      scrapViewerId: caller.userId,
    });
  withoutBlocked(qb, 't.author_id', caller.userId);
  afterKeyset(qb, after, 's', 'target_id');
  const raw: Array<{ targetId: string; scrappedAt: Date | string; kind: TargetKind }> = await qb
    .orderBy('s.created_at', 'DESC')
    .addOrderBy('s.target_id', 'DESC')
    .limit(size + 1)
    .getRawMany();
  const rows = raw.slice(0, size).map((r) => {
    const row = { targetId: r.targetId, kind: r.kind, scrappedAt: readTime(r.scrappedAt) };
    return { row, cursor: encodeCursor({ createdAt: row.scrappedAt, id: row.targetId }) };
  });
  return {
    rows,
    pageInfo: { hasNextPage: raw.length > size, endCursor: rows.at(-1)?.cursor ?? null },
  };
}
