import { useId, useState } from 'react';
import {
  AdminHideReviewDocument,
  AdminReportsDocument,
  AdminResolveReportDocument,
  AdminUnhideReviewDocument,
  type AdminReportsQuery,
  type ReportStatus,
} from '@moim/sdk/admin';
import { Empty, LoadState, Notice, Pager, Time } from '../components/common';
import { PostSummary, ReviewSummary, UserLink } from '../components/content';
import { useI18n } from '../i18n/context';
import { client } from '../lib/client';
import { useAction } from '../lib/use-action';
import { PAGE_SIZE, usePaged } from '../lib/use-paged';

type Report = AdminReportsQuery['reports']['edges'][number]['node'];
const STATUSES: ReportStatus[] = ['OPEN', 'HIDDEN', 'DISMISSED'];

export function ReportsPage() {
  const { t } = useI18n();
  const statusId = useId();
  const [status, setStatus] = useState<ReportStatus>('OPEN');
  const list = usePaged(async (after) => {
    const { reports } = await client.request(AdminReportsDocument, { status, first: PAGE_SIZE, after });
    return { items: reports.edges.map((e) => e.node), pageInfo: reports.pageInfo };
  }, status);
  const { notice, busy, run } = useAction();

  const act = (id: string, action: () => Promise<unknown>, done: string) =>
    run(id, async () => {
      await action();
      list.reload();
      return done;
    });

  return (
    <>
      <h1>{t('reports.heading')}</h1>
      <div className="toolbar">
        <label htmlFor={statusId}>{t('reports.status')}</label>
        <select id={statusId} value={status} onChange={(e) => setStatus(e.target.value as ReportStatus)}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {t(`reports.status.${s}`)}
            </option>
          ))}
        </select>
      </div>
      <Notice notice={notice} />
      <LoadState state={list} onRetry={list.reload} />
      {list.data && (
        <>
          <ul className="cards" aria-label={t('reports.heading')}>
            {list.data.items.map((report) => (
              <ReportCard
                key={report.id}
                report={report}
                busy={busy !== null}
                onDismiss={() =>
                  act(
                    `dismiss:${report.id}`,
                    () => client.request(AdminResolveReportDocument, { id: report.id, action: 'DISMISS' }),
                    t('reports.dismissed'),
                  )
                }
                onHide={() =>
                  act(
                    `hide:${report.id}`,
                    () => client.request(AdminResolveReportDocument, { id: report.id, action: 'HIDE' }),
                    t('reports.hiddenDone'),
                  )
                }
                onHideReview={(id) =>
                  act(
                    `hide-review:${id}`,
                    () => client.request(AdminHideReviewDocument, { id }),
                    t('reviews.hiddenDone'),
                  )
                }
                onUnhideReview={(id) =>
                  act(
                    `unhide:${id}`,
                    () => client.request(AdminUnhideReviewDocument, { id }),
                    t('reports.unhidden'),
                  )
                }
              />
            ))}
          </ul>
          <Empty show={list.data.items.length === 0} />
          <Pager paging={list.paging} />
        </>
      )}
    </>
  );
}

interface CardProps {
  report: Report;
  busy: boolean;
  onDismiss(): void;
  onHide(): void;
  onHideReview(id: string): void;
  onUnhideReview(id: string): void;
}

function ReportCard({ report, busy, onDismiss, onHide, onHideReview, onUnhideReview }: CardProps) {
  const { t } = useI18n();
  const headingId = useId();
  const target = report.target;
  const review = target?.__typename === 'Review' ? target : null;
  return (
    <li className="card" aria-labelledby={headingId}>
      <h2 id={headingId} className="card-heading">
        {t(`reports.reason.${report.reason}`)} · {t(`reports.status.${report.status}`)}
      </h2>
      <dl className="facts">
        <dt>{t('reports.note')}</dt>
        <dd>{report.note ?? <span className="muted">{t('reports.noNote')}</span>}</dd>
        <dt>{t('reports.target')}</dt>
        <dd>
          {target?.__typename === 'Review' && <ReviewSummary review={target} />}
          {target?.__typename === 'Post' && <PostSummary post={target} />}
          {!target && <span className="muted">{t('common.gone')}</span>}
        </dd>
        <dt>{t('reports.reporter')}</dt>
        <dd>
          <UserLink user={report.reporter} />
        </dd>
        <dt>{t('reports.when')}</dt>
        <dd>
          <Time iso={report.createdAt} />
        </dd>
        {report.resolvedAt && (
          <>
            <dt>{t('reports.resolved')}</dt>
            <dd>
              {report.resolvedBy && <UserLink user={report.resolvedBy} />} · <Time iso={report.resolvedAt} />
            </dd>
          </>
        )}
      </dl>
      <div className="actions">
        {report.status === 'OPEN' && (
          <>
            <button type="button" onClick={onDismiss} disabled={busy}>
              {t('reports.dismiss')}
            </button>
            {target && (
              <button type="button" className="danger" onClick={onHide} disabled={busy}>
                {t('reports.hide')}
              </button>
            )}
          </>
        )}
        {review?.hidden && (
          <button type="button" onClick={() => onUnhideReview(review.id)} disabled={busy}>
            {t('reports.unhide')}
          </button>
        )}
        {review && !review.hidden && report.status !== 'OPEN' && (
          <button type="button" className="danger" onClick={() => onHideReview(review.id)} disabled={busy}>
            {t('reports.hideReview')}
          </button>
        )}
      </div>
    </li>
  );
}
