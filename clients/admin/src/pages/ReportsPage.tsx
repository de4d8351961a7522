import { useId, useRef, useState } from 'react';
import {
  AdminHideReviewDocument,
  AdminReportsDocument,
  AdminResolveReportDocument,
  AdminUnhideReviewDocument,
  type AdminReportsQuery,
  type ReportStatus,
} from '@moim/sdk/admin';
import { Empty, guard, LoadState, Notice, Pager, Time } from '../components/common';
import { PostSummary, ReviewSummary, UserLink } from '../components/content';
import { useI18n } from '../i18n/context';
import { client } from '../lib/client';
import type { MessageKey } from '../i18n/messages';
import { useAction } from '../lib/use-action';
import { connectionPage, PAGE_SIZE, usePaged } from '../lib/use-paged';
import { CARD_HEADING, useRefocus } from '../lib/use-refocus';

type Report = AdminReportsQuery['reports']['edges'][number]['node'];
const STATUSES: ReportStatus[] = ['OPEN', 'HIDDEN', 'DISMISSED'];

export function ReportsPage() {
  const { t } = useI18n();
  const statusId = useId();
  const [status, setStatus] = useState<ReportStatus>('OPEN');
  const list = usePaged(async (after) => {
    const { reports } = await client.request(AdminReportsDocument, { status, first: PAGE_SIZE, after });
    return connectionPage(reports);
  }, status);
  const { notice, busy, run } = useAction();
  const listRef = useRef<HTMLUListElement>(null);
  const refocus = useRefocus(listRef, list.status === 'ready', list.data);

  // A resolved report leaves the open queue, its buttons with it: focus goes to the next card.
  const act = (index: number, id: string, action: () => Promise<unknown>, done: MessageKey) =>
    void run(id, async () => {
      await action();
      refocus(index);
      list.reload();
      return { kind: 'ok', key: done };
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
          <ul
            className="cards"
            aria-label={t('reports.heading')}
            ref={listRef}
            tabIndex={-1}
            aria-busy={list.stale}
          >
            {list.data.items.map((report, index) => (
              <ReportCard
                key={report.id}
                report={report}
                // The cards of the previous status stay shown while the new ones load, not actionable.
                busy={busy !== null || list.stale}
                onDismiss={() =>
                  act(
                    index,
                    `dismiss:${report.id}`,
                    () => client.request(AdminResolveReportDocument, { id: report.id, action: 'DISMISS' }),
                    'reports.dismissed',
                  )
                }
                onHide={() =>
                  act(
                    index,
                    `hide:${report.id}`,
                    () => client.request(AdminResolveReportDocument, { id: report.id, action: 'HIDE' }),
                    'reports.hiddenDone',
                  )
                }
                onHideReview={(id) =>
                  act(
                    index,
                    `hide-review:${id}`,
                    () => client.request(AdminHideReviewDocument, { id }),
                    'reviews.hiddenDone',
                  )
                }
                onUnhideReview={(id) =>
                  act(
                    index,
                    `unhide:${id}`,
                    () => client.request(AdminUnhideReviewDocument, { id }),
                    'reports.unhidden',
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
      <h2 id={headingId} className="card-heading" tabIndex={-1} {...{ [CARD_HEADING]: '' }}>
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
            <button
              type="button"
              aria-describedby={headingId}
              aria-disabled={busy}
              onClick={guard(busy, onDismiss)}
            >
              {t('reports.dismiss')}
            </button>
            {target && (
              <button
                type="button"
                className="danger"
                aria-describedby={headingId}
                aria-disabled={busy}
                onClick={guard(busy, onHide)}
              >
                {t('reports.hide')}
              </button>
            )}
          </>
        )}
        {review?.hidden && (
          <button
            type="button"
            aria-describedby={headingId}
            aria-disabled={busy}
            onClick={guard(busy, () => onUnhideReview(review.id))}
          >
            {t('reports.unhide')}
          </button>
        )}
        {review && !review.hidden && report.status !== 'OPEN' && (
          <button
            type="button"
            className="danger"
            aria-describedby={headingId}
            aria-disabled={busy}
            onClick={guard(busy, () => onHideReview(review.id))}
          >
            {t('reports.hideReview')}
          </button>
        )}
      </div>
    </li>
  );
}
