import { AdminCourseImportsDocument } from '@moim/sdk/admin';
import { Empty, LoadState, Pager, Time } from '../components/common';
import { useI18n } from '../i18n/context';
import type { MessageKey } from '../i18n/messages';
import { client } from '../lib/client';
import { PAGE_SIZE, usePaged } from '../lib/use-paged';

const COUNTS = ['created', 'updated', 'unchanged', 'cancelled', 'rejected'] as const;

export function ImportsPage() {
  const { t } = useI18n();
  const list = usePaged(async (after) => {
    const { courseImports } = await client.request(AdminCourseImportsDocument, { first: PAGE_SIZE, after });
    return { items: courseImports.edges.map((e) => e.node), pageInfo: courseImports.pageInfo };
  }, 'imports');
  return (
    <>
      <h1>{t('imports.heading')}</h1>
      <LoadState state={list} onRetry={list.reload} />
      {list.data && (
        <>
          <ul className="cards" aria-label={t('imports.heading')}>
            {list.data.items.map((run) => (
              <li key={run.id} className="card">
                <h2 className="card-heading">
                  {run.term.university.name} · {run.term.name} ({run.term.code})
                </h2>
                <p className="meta">
                  {t('imports.source', { source: run.source })} · <Time iso={run.finishedAt} />
                </p>
                <dl className="counts">
                  {COUNTS.map((c) => (
                    <div key={c} className={c === 'rejected' && run.rejected > 0 ? 'alarm' : ''}>
                      <dt>{t(`imports.${c}` as MessageKey)}</dt>
                      <dd>{run[c]}</dd>
                    </div>
                  ))}
                </dl>
                {run.rejections.length > 0 && (
                  <details>
                    <summary>{t('imports.rejections', { count: run.rejected })}</summary>
                    <ul>
                      {run.rejections.map((r) => (
                        <li key={r.line}>{t('imports.line', { line: r.line, reason: r.reason })}</li>
                      ))}
                    </ul>
                  </details>
                )}
              </li>
            ))}
          </ul>
          <Empty show={list.data.items.length === 0} />
          <Pager paging={list.paging} />
        </>
      )}
    </>
  );
}
