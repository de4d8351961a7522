import { stopOnSignals } from '@moim/kit';
import { loadReviewEnv } from './env';
import { createReviewService } from './service';

const config = loadReviewEnv();
const service = await createReviewService(config);
const url = await service.listen(config.PORT, config.HOST);
service.deps.logger.info({ url }, 'review subgraph ready');
stopOnSignals(service.deps.logger, service.stop);
