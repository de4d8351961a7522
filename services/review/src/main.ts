import { runMain } from '@moim/kit';
import { loadReviewEnv } from './env';
import { createReviewService } from './service';

runMain('review', async () => {
  const config = loadReviewEnv();
  const service = await createReviewService(config);
  const url = await service.listen(config.PORT, config.HOST);
  service.deps.logger.info({ url }, 'review subgraph ready');
  return { logger: service.deps.logger, stop: service.stop };
});
