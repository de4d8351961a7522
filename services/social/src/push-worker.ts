import { runServiceProcess } from '@moim/kit';
import { PUSH_QUEUE } from './push/push-job';
import { service } from './service';

// The push worker of production: social's worker running the push queue only, so pushes scale
// (and fail) apart from event handling. WORKER_QUEUES may still name other queues explicitly.
process.env.WORKER_QUEUES ??= PUSH_QUEUE.name;
runServiceProcess(service, 'worker');
