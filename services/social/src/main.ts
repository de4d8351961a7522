import { stopOnSignals } from '@moim/kit';
import { loadSocialEnv } from './env';
import { createSocialService } from './service';

const config = loadSocialEnv();
const service = await createSocialService(config);
const url = await service.listen(config.PORT, config.HOST);
service.deps.logger.info({ url }, 'social subgraph ready');
stopOnSignals(service.deps.logger, service.stop);
