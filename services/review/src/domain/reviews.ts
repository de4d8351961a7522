import type { EntityManager } from 'typeorm';
import {
  badInput,
  forbidden,
  isAdmin,
  lockRows,
  newId,
  notFound,
  parseId,
  recordEvent,
  type Caller,
} from '@moim/kit';
import {
  KnownUserEntity,
  PlaceEntity,
  ProductEntity,
  ReviewEntity,
  ReviewImageEntity,
  type Review,
  type ReviewKind,
} from '../entities';
import type { ReviewDeps } from './context';
import { imageIdsOf, orderedImages } from '@moim/media-refs';
import { announceReviewDeleted, announceReviews, lockSubject, subjectsOf } from './searchable';
import { BODY_LIMIT, rating, reviewTitle, text } from './validation';

export interface ReviewInput {
  kind: ReviewKind;
  title?: string | null;
  body: string;
  rating: number;
  placeId?: string | null;
  productId?: string | null;
  /** Media ids of the caller's uploads (purpose REVIEW), in the order shown; at most 10. */
  imageIds?: string[] | null;
}

export interface ReviewChanges {
  title?: string | null;
  body?: string | null;
  rating?: number | null;
  /** Replaces the images (an empty list removes them all); null or absent leaves them. */
  imageIds?: string[] | null;
}

/** Hidden reviews are seen only by admins and, when asked for by id, their author. */
export const canSee = (caller: Caller, review: Review): boolean =>
  !review.hidden || isAdmin(caller) || review.authorId === caller.userId;

async function subjectOf(
  deps: ReviewDeps,
  input: ReviewInput,
): Promise<Pick<Review, 'placeId' | 'productId'>> {
  if ((input.placeId == null) === (input.productId == null))
    throw badInput('Give exactly one of placeId and productId', 'placeId');
  if (input.placeId != null) {
    const placeId = parseId(input.placeId, 'placeId');
    if (!(await deps.db.dataSource.getRepository(PlaceEntity).existsBy({ id: placeId })))
      throw badInput('No place with this placeId', 'placeId');
    return { placeId, productId: null };
  }
  const productId = parseId(input.productId!, 'productId');
  if (!(await deps.db.dataSource.getRepository(ProductEntity).existsBy({ id: productId })))
    throw badInput('No product with this productId', 'productId');
  return { placeId: null, productId };
}

/** A validated review row; the subject is checked by the caller. */
function newReview(authorId: string, input: ReviewInput, at: Date): Omit<Review, 'placeId' | 'productId'> {
  return {
    id: newId(),
    kind: input.kind,
    title: reviewTitle(input.kind, input.title),
    body: text(input.body, 'body', BODY_LIMIT[input.kind]),
    rating: rating(input.rating),
    authorId,
    hidden: false,
    createdAt: at,
    updatedAt: at,
  };
}

type ReviewTopic =
  'review.created' | 'review.updated' | 'review.hidden' | 'review.unhidden' | 'review.deleted';

/** Every change to a review tells social, which keeps what people can like and comment on. */
const announce = (
  manager: EntityManager,
  topic: ReviewTopic,
  review: Pick<Review, 'id' | 'authorId' | 'hidden'>,
) => recordEvent(manager, topic, { reviewId: review.id, authorId: review.authorId, hidden: review.hidden });

/**
 * For transactions that change a place's or product's visible review count and announce it: they
 * count after taking the subject's lock (lockSubject), and under READ COMMITTED the count reads
 * what the transaction that held the lock before committed, not a snapshot taken before the wait.
 */
const COUNTING = { isolation: 'READ COMMITTED' } as const;

/** The subject media knows a review's images by. */
export const reviewSubject = (reviewId: string) => `review:${reviewId}`;

/** A review's images, in order (@moim/media-refs). */
const reviewImages = orderedImages({
  entity: ReviewImageEntity as never,
  parent: 'reviewId',
  purpose: 'REVIEW',
  noun: 'a review',
  subjectOf: reviewSubject,
});

/**
 * A new review by `authorId`; its images must be uploads of `uploaderId`'s (the author's, or the
 * admin's who writes it for them).
 */
export async function createReview(
  deps: ReviewDeps,
  authorId: string,
  input: ReviewInput,
  uploaderId = authorId,
): Promise<Review> {
  const review: Review = { ...newReview(authorId, input, new Date()), ...(await subjectOf(deps, input)) };
  const imageIds = imageIdsOf(input.imageIds) ?? [];
  await deps.db.transaction(async (manager) => {
    await lockSubject(manager, review);
    await manager.insert(ReviewEntity, review);
    await reviewImages.set(manager, review.id, uploaderId, [], imageIds);
    await announce(manager, 'review.created', review);
    await announceReviews(manager, [review], subjectsOf(review));
  }, COUNTING);
  return review;
}

/**
 * Imports reviews written elsewhere, keeping their dates (the demo data), in the caller's
 * transaction; each is validated as createReview would, the subjects are the caller's to vouch for
 * (and to announce to search, with their new review counts: see announceSubjects).
 */
export async function insertReviews(
  manager: EntityManager,
  reviews: Array<ReviewInput & { authorId: string; at: Date }>,
): Promise<number> {
  const rows = reviews.map((r): Review => ({
    ...newReview(r.authorId, r, r.at),
    placeId: r.placeId ?? null,
    productId: r.productId ?? null,
  }));
  // Chunks keep each statement under the databases' parameter limits. Copies: on a database
  // without INSERT … RETURNING (SQLite, MySQL), TypeORM reads the rows back to fill in `hidden`'s
  // default and merges them into the given objects by position, in whatever order the read
  // returned them, which swaps the ids of the rows announced below.
  for (let i = 0; i < rows.length; i += 500)
    await manager.insert(
      ReviewEntity,
      rows.slice(i, i + 500).map((row) => ({ ...row })),
    );
  for (const row of rows) await announce(manager, 'review.created', row);
  await announceReviews(manager, rows);
  return rows.length;
}

/** An admin writes for someone else: that someone must be a user social has announced. */
export async function adminCreateReview(
  deps: ReviewDeps,
  adminId: string,
  authorId: string,
  input: ReviewInput,
): Promise<Review> {
  if (!(await deps.db.dataSource.getRepository(KnownUserEntity).existsBy({ id: authorId }))) {
    throw badInput('No user with this authorId', 'authorId');
  }
  return createReview(deps, authorId, input, adminId);
}

/**
 * Locks and loads a review the caller may change (its author, or an admin) in the caller's
 * transaction: changes to one review (edit, delete, hide) take turns, so each announces the state
 * it left, and the last announcement is the review's state.
 */
async function lockOwnReview(manager: EntityManager, caller: Caller, id: string): Promise<Review> {
  const reviewId = parseId(id);
  const review = (await lockRows(manager, ReviewEntity, { id: reviewId }))
    ? await manager.findOneBy(ReviewEntity, { id: reviewId })
    : null;
  if (!review || !canSee(caller, review)) throw notFound('No review with this id');
  if (review.authorId !== caller.userId && !isAdmin(caller))
    throw forbidden('Only the author or an admin can change this review');
  return review;
}

export async function updateReview(
  deps: ReviewDeps,
  caller: Caller,
  id: string,
  input: ReviewChanges,
): Promise<Review> {
  const imageIds = imageIdsOf(input.imageIds);
  return deps.db.transaction(async (manager) => {
    const review = await lockOwnReview(manager, caller, id);
    const changes: Partial<Review> = { updatedAt: new Date() };
    if (input.title !== undefined) changes.title = reviewTitle(review.kind, input.title);
    if (input.body != null) changes.body = text(input.body, 'body', BODY_LIMIT[review.kind]);
    if (input.rating != null) changes.rating = rating(input.rating);
    // New images must be the caller's uploads (an admin's, when an admin edits); kept ones stay.
    if (imageIds)
      await reviewImages.set(
        manager,
        review.id,
        caller.userId!,
        await reviewImages.of(manager, review.id),
        imageIds,
      );
    await manager.update(ReviewEntity, { id: review.id }, changes);
    await announce(manager, 'review.updated', review);
    const updated = { ...review, ...changes };
    await announceReviews(manager, [updated]);
    return updated;
  });
}

export async function deleteReview(deps: ReviewDeps, caller: Caller, id: string): Promise<string> {
  return deps.db.transaction(async (manager) => {
    const review = await lockOwnReview(manager, caller, id);
    await lockSubject(manager, review);
    // Its images are let go: media removes them (media.detached).
    await reviewImages.set(manager, review.id, caller.userId!, await reviewImages.of(manager, review.id), []);
    await manager.delete(ReviewEntity, { id: review.id });
    await announce(manager, 'review.deleted', review);
    // A hidden review was not counted: its subject's count stays.
    await announceReviewDeleted(manager, review.id, review.hidden ? {} : subjectsOf(review));
    return review.id;
  }, COUNTING);
}

/**
 * Hides or shows a review in the caller's transaction (READ COMMITTED, see COUNTING), announcing
 * the change; null when there is no such review. Hiding a hidden review changes nothing and
 * announces nothing.
 */
export async function setHiddenInTransaction(
  manager: EntityManager,
  id: string,
  hidden: boolean,
): Promise<Review | null> {
  if (!(await lockRows(manager, ReviewEntity, { id }))) return null;
  const review = await manager.findOneBy(ReviewEntity, { id });
  if (!review) return null;
  if (review.hidden !== hidden) {
    await lockSubject(manager, review);
    await manager.update(ReviewEntity, { id }, { hidden });
    await announce(manager, hidden ? 'review.hidden' : 'review.unhidden', { ...review, hidden });
    await announceReviews(manager, [{ ...review, hidden }], subjectsOf(review));
  }
  return { ...review, hidden };
}

export async function setHidden(
  deps: ReviewDeps,
  adminId: string,
  id: string,
  hidden: boolean,
): Promise<Review> {
  const reviewId = parseId(id);
  const review = await deps.db.transaction(
    (manager) => setHiddenInTransaction(manager, reviewId, hidden),
    COUNTING,
  );
  if (!review) throw notFound('No review with this id');
  deps.logger.info({ reviewId, hidden, adminId }, 'review visibility changed by admin');
  return review;
}
