import { runMain } from '@moim/kit';
import { loadSocialEnv } from './env';
import { createSocialService } from './service';

runMain('social', async () => {
  const config = loadSocialEnv();
  const service = await createSocialService(config);
  const url = await service.listen(config.PORT, config.HOST);
  service.deps.logger.info({ url }, 'social subgraph ready');
  return { logger: service.deps.logger, stop: service.stop };
});
