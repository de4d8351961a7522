import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '@moim/kit';
import { createReviewService } from '@moim/review';
import { createSocialService } from '@moim/social';
import { localConfig } from './local-config';
import { ADMIN_LOGIN, DEMO_LOGIN, demoFollowsApplied, seedDemo } from './seed/seed';

// npm run seed: migrate and load demo data into the local databases, then exit.
const config = localConfig();
const logger = createLogger('seed', config.social.LOG_LEVEL);
const social = await createSocialService(config.social);
const review = await createReviewService(config.review);
try {
  const result = await seedDemo(social, review, logger);
  if (!result) {
    console.log('Demo data is already there: nothing to do.');
  } else {
    for (let i = 0; i < 100 && (await demoFollowsApplied(social, review)) < result.follows; i++)
      await sleep(100);
    console.log(`Seeded ${result.users} users, ${result.products} products, ${result.reviews} reviews.`);
  }
  console.log(
    `Demo login: ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}   Admin: ${ADMIN_LOGIN.email} / ${ADMIN_LOGIN.password}`,
  );
} finally {
  await review.stop();
  await social.stop();
}
