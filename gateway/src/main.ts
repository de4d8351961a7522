import { createLogger, runMain } from '@moim/kit';
import { loadGatewayEnv } from './env';
import { createGateway } from './gateway';

runMain('gateway', async () => {
  const config = loadGatewayEnv();
  const logger = createLogger('gateway', config.LOG_LEVEL);
  const gateway = await createGateway(config, logger);
  const url = await gateway.listen(config.PORT, config.HOST);
  logger.info({ url: `${url}/graphql`, metrics: gateway.http.metricsUrl() }, 'gateway ready');
  return { logger, stop: gateway.stop };
});
