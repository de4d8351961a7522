import { createLogger, runMain } from '@moim/kit';
import { createGateway } from '@moim/gateway';
import { createReviewService } from '@moim/review';
import { createSocialService } from '@moim/social';
import { localConfig } from './local-config';
import { ADMIN_LOGIN, DEMO_LOGIN, seedDemo } from './seed/seed';

// npm start: every subgraph, its workers and the gateway in one process, from the same factories
// the containers use, with demo data loaded on first start.
runMain('moim', async () => {
  const config = localConfig();
  const logger = createLogger('moim', config.gateway.LOG_LEVEL);
  if (config.usesDevSecrets)
    logger.warn('INTERNAL_SECRET / JWT_SECRET not set: using development-only secrets');

  const social = await createSocialService(config.social);
  const review = await createReviewService(config.review);
  await social.listen(config.social.PORT, '127.0.0.1');
  await review.listen(config.review.PORT, '127.0.0.1');
  await seedDemo(social, review, logger);
  const gateway = await createGateway(config.gateway);
  const url = await gateway.listen(config.gateway.PORT, config.gateway.HOST);

  logger.info(
    {
      graphql: `${url.replace('127.0.0.1', 'localhost')}/graphql`,
      demo: `${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}`,
      admin: `${ADMIN_LOGIN.email} / ${ADMIN_LOGIN.password}`,
    },
    'Moim is up: open the graphql URL for the explorer',
  );
  return {
    logger,
    stop: async () => {
      await gateway.stop();
      await Promise.all([social.stop(), review.stop()]);
    },
  };
});
