import { parseArgs } from 'node:util';
import { allQueueNames } from '@moim/events';
import { ConfigError, createLogger, openBackend, UnavailableError, type Backend } from '@moim/kit';
import { localConfig } from './local-config';

// npm run jobs -- counts | failed <queue> [--limit N] | retry <queue> <job id>
// The job queues of the configured backend (as npm start chooses it), for operators: what is
// waiting, and the failed set (the dead letters) to read and retry. Embedded data is locked
// while npm start runs; on the servers backend this works beside running processes.
const USAGE = 'usage: npm run jobs -- counts | failed <queue> [--limit N] | retry <queue> <job id>';
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { limit: { type: 'string', default: '20' } },
});
const [command, queue, id] = positionals;

async function run(backend: Backend): Promise<number> {
  const { queues } = backend;
  if (command === 'counts') {
    const names = allQueueNames();
    const rows = [];
    for (const name of [...names, ...(queue ? [queue] : [])])
      rows.push({ queue: name, ...(await queues.counts(name)) });
    console.table(rows);
    return 0;
  }
  if (command === 'failed' && queue) {
    const failed = await queues.failed(queue, Number(values.limit));
    if (!failed.length) console.log(`No failed jobs in ${queue}.`);
    for (const job of failed)
      console.log(
        `${job.failedAt.toISOString()}  ${job.id}  ${job.name}  after ${job.attemptsMade} attempts: ${job.error}\n` +
          `  data: ${JSON.stringify(job.data)}`,
      );
    return 0;
  }
  if (command === 'retry' && queue && id) {
    if (!(await queues.retry(queue, id))) {
      console.error(`No failed job ${id} in ${queue}.`);
      return 1;
    }
    console.log(`Job ${id} of ${queue} is waiting to run again.`);
    return 0;
  }
  console.error(USAGE);
  return 2;
}

try {
  const local = localConfig();
  const backend = await openBackend(local.backend, createLogger('jobs', 'warn'));
  try {
    process.exitCode = await run(backend);
  } finally {
    await backend.close();
  }
} catch (err) {
  if (!(err instanceof ConfigError || err instanceof UnavailableError)) throw err;
  console.error(`jobs: ${err.message}`);
  process.exitCode = 1;
}
