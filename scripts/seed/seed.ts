import { In, type EntityManager } from 'typeorm';
import { newId, recordEvent, type Logger } from '@moim/kit';
import { ProductEntity, ReviewEntity, type Review, type ReviewService } from '@moim/review';
import { followInTransaction, hashPassword, UserEntity, type SocialService, type User } from '@moim/social';
import { loadNsmcSample, toStars } from './nsmc';

export const DEMO_LOGIN = { email: 'demo@moim.dev', password: 'moim-demo-1234' };
export const ADMIN_LOGIN = { email: 'admin@moim.dev', password: 'moim-admin-1234' };

/** Reviews longer than this become long-form (DADALOG) posts with a title. */
const LONG_FORM_AT = 80;

export interface SeedResult {
  users: number;
  products: number;
  reviews: number;
  follows: number;
}

/**
 * Loads demo data built from the committed NSMC sample: one user per reviewer, one product per
 * movie, their reviews with the original dates, and a demo user who follows the ten most
 * prolific reviewers (through social's outbox, as a real follow would). Does nothing when the
 * demo user exists already.
 */
export async function seedDemo(
  social: SocialService,
  review: ReviewService,
  logger: Logger,
): Promise<SeedResult | null> {
  const users = social.deps.db.dataSource.getRepository(UserEntity);
  // The demo user is written last, after everything it needs: it marks a finished seed.
  if (await users.existsBy({ email: DEMO_LOGIN.email })) return null;
  if (await users.existsBy({ email: 'reviewer1@demo.moim.dev' })) {
    throw new Error(
      'Partial demo data from an earlier failed seed: drop the databases moim_social and moim_review and start again',
    );
  }
  const rows = await loadNsmcSample();
  const now = new Date();
  // One slow hash for all reviewer accounts: seeding thousands of argon2 hashes would take minutes.
  const reviewerHash = await hashPassword(DEMO_LOGIN.password);
  const person = (email: string, nickname: string, role: User['role'], passwordHash: string): User => ({
    id: newId(),
    email,
    passwordHash,
    nickname,
    bio: null,
    role,
    phone: null,
    phoneVerifiedAt: null,
    createdAt: now,
    updatedAt: now,
  });

  const authors = [...new Set(rows.map((r) => r.author))];
  const byAuthor = new Map(
    authors.map((a, i) => [
      a,
      person(
        `reviewer${i + 1}@demo.moim.dev`,
        `${a.replace(/\*/g, '')}_${i + 1}`.slice(0, 20),
        'USER',
        reviewerHash,
      ),
    ]),
  );
  const demo = person(DEMO_LOGIN.email, 'demo', 'USER', reviewerHash);
  const admin = person(ADMIN_LOGIN.email, 'admin', 'ADMIN', await hashPassword(ADMIN_LOGIN.password));
  await social.deps.db.dataSource.transaction((manager) =>
    insertUsers(manager, [admin, ...byAuthor.values()]),
  );

  const movies = [...new Set(rows.map((r) => r.movieId))];
  const products = new Map(
    movies.map((m) => [
      m,
      {
        id: newId(),
        name: `영화 #${m}`,
        brand: null,
        category: 'movie',
        purchaseUrl: null,
        createdBy: admin.id,
        createdAt: now,
      },
    ]),
  );
  await review.deps.db.dataSource.getRepository(ProductEntity).insert([...products.values()]);

  const reviews: Review[] = rows.map((r) => {
    const long = r.text.length > LONG_FORM_AT;
    // Same-day reviews get distinct times from their ids, so the feed order is stable.
    const at = new Date(r.date.getTime() + (Number(r.reviewId) % 86_400) * 1000);
    return {
      id: newId(),
      kind: long ? 'DADALOG' : 'SOSOLOG',
      title: long ? `${r.text.slice(0, 30)}…` : null,
      body: r.text,
      rating: toStars(r.rating),
      placeId: null,
      productId: products.get(r.movieId)!.id,
      authorId: byAuthor.get(r.author)!.id,
      hidden: false,
      createdAt: at,
      updatedAt: at,
    };
  });
  const repo = review.deps.db.dataSource.getRepository(ReviewEntity);
  for (let i = 0; i < reviews.length; i += 500) await repo.insert(reviews.slice(i, i + 500));

  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.author, (counts.get(r.author) ?? 0) + 1);
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 10)
    .map(([a]) => byAuthor.get(a)!.id);
  // The demo user and its follows commit together: the demo user marks a finished seed.
  await social.deps.db.dataSource.transaction(async (manager) => {
    await insertUsers(manager, [demo]);
    for (const followeeId of top) await followInTransaction(manager, demo.id, followeeId);
  });
  social.deps.relay.wake();

  logger.info(
    { users: byAuthor.size + 2, products: products.size, reviews: reviews.length },
    'demo data loaded',
  );
  return { users: byAuthor.size + 2, products: products.size, reviews: reviews.length, follows: top.length };
}

/** Users written as signUp would: with the user.created events other services learn them from. */
async function insertUsers(manager: EntityManager, users: User[]): Promise<void> {
  await manager.insert(UserEntity, users);
  for (const user of users) await recordEvent(manager, 'user.created', { userId: user.id });
}

/** Resolves once review has applied the demo follows (they travel through the outbox and Redis). */
export async function demoFollowsApplied(social: SocialService, review: ReviewService): Promise<number> {
  const demo = await social.deps.db.dataSource
    .getRepository(UserEntity)
    .findOneByOrFail({ email: DEMO_LOGIN.email });
  return review.deps.db.dataSource
    .getRepository('FollowEdge')
    .countBy({ followerId: In([demo.id]), active: true });
}
