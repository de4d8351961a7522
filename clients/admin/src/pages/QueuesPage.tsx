import {
  AdminFailedJobsDocument,
  AdminJobQueuesDocument,
  AdminRetryFailedJobDocument,
} from '@moim/sdk/admin';
import { useRef } from 'react';
import { Empty, guard, LoadState, Notice, Pager, Section, Time } from '../components/common';
import { useI18n } from '../i18n/context';
import { client } from '../lib/client';
import { useAction } from '../lib/use-action';
import { useAsync } from '../lib/use-async';
import { useOffsetPaged } from '../lib/use-offset-paged';
import { PAGE_SIZE } from '../lib/use-paged';
import { CARD_HEADING, useRefocus } from '../lib/use-refocus';
import { Link } from '../components/link';

export function QueuesPage({ queue }: { queue: string | undefined }) {
  const { t } = useI18n();
  const queues = useAsync(async () => (await client.request(AdminJobQueuesDocument, {})).jobQueues, 'queues');
  return (
    <>
      <h1>{t('queues.heading')}</h1>
      <LoadState state={queues} onRetry={queues.reload} />
      {queues.data && (
        <table>
          <caption className="visually-hidden">{t('queues.heading')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('queues.queue')}</th>
              <th scope="col">{t('queues.waiting')}</th>
              <th scope="col">{t('queues.active')}</th>
              <th scope="col">{t('queues.delayed')}</th>
              <th scope="col">{t('queues.failedCount')}</th>
            </tr>
          </thead>
          <tbody>
            {queues.data.map((q) => (
              <tr key={q.name} aria-current={q.name === queue ? 'true' : undefined}>
                <th scope="row">
                  <Link to="queues" param={q.name}>
                    {q.name}
                  </Link>
                </th>
                <td>{q.waiting}</td>
                <td>{q.active}</td>
                <td>{q.delayed}</td>
                <td className={q.failed > 0 ? 'alarm' : ''}>{q.failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {queue && <FailedJobs key={queue} queue={queue} onRetried={queues.reload} />}
    </>
  );
}

/** failedJobs has no cursor: offset pages, with previous/next like every other list. */
function FailedJobs({ queue, onRetried }: { queue: string; onRetried(): void }) {
  const { t } = useI18n();
  const jobs = useOffsetPaged(
    async (range) => (await client.request(AdminFailedJobsDocument, { queue, ...range })).failedJobs,
    PAGE_SIZE,
    queue,
  );
  const { notice, busy, run } = useAction();
  const listRef = useRef<HTMLUListElement>(null);
  const refocus = useRefocus(listRef, jobs.status === 'ready', jobs.data);
  const retry = (index: number, id: string) =>
    void run(id, async () => {
      const { retryFailedJob } = await client.request(AdminRetryFailedJobDocument, { queue, id });
      refocus(index); // the job leaves the failed set, its card with it
      jobs.reload();
      onRetried();
      return { kind: 'ok', key: retryFailedJob ? 'queues.retried' : 'queues.retryGone', vars: { id } };
    });
  const shown = jobs.data?.items ?? [];
  const inactive = busy !== null || jobs.stale;
  return (
    <Section title={t('queues.jobsOf', { queue })}>
      <Notice notice={notice} />
      <LoadState state={jobs} onRetry={jobs.reload} />
      {jobs.data && (
        <>
          <ul
            className="cards"
            aria-label={t('queues.jobsOf', { queue })}
            ref={listRef}
            tabIndex={-1}
            aria-busy={jobs.stale}
          >
            {shown.map((job, index) => (
              <li key={job.id} className="card">
                <h3 className="card-heading" tabIndex={-1} {...{ [CARD_HEADING]: '' }}>
                  {t('queues.job', { name: job.name, id: job.id })}
                </h3>
                <p className="meta">
                  {t('queues.attempts', { count: job.attemptsMade })} · <Time iso={job.failedAt} />
                </p>
                <details>
                  <summary>{t('queues.error')}</summary>
                  <pre>{job.error}</pre>
                </details>
                <details>
                  <summary>{t('queues.data')}</summary>
                  <pre>{pretty(job.data)}</pre>
                </details>
                <div className="actions">
                  <button
                    type="button"
                    aria-disabled={inactive}
                    onClick={guard(inactive, () => retry(index, job.id))}
                  >
                    {t('queues.retry')}
                    <span className="visually-hidden"> {job.id}</span>
                  </button>
                </div>
              </li>
            ))}
          </ul>
          <Empty show={shown.length === 0} />
          <Pager paging={jobs.paging} label={t('queues.jobsOf', { queue })} />
        </>
      )}
    </Section>
  );
}

function pretty(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}
