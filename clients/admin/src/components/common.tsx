import { useId, type ReactNode } from 'react';
import { useI18n } from '../i18n/context';
import { describeError } from '../lib/errors';
import type { AsyncState } from '../lib/use-async';
import type { Paging } from '../lib/use-paged';

/** An instant in the admin's zone, machine-readable too. */
export function Time({ iso }: { iso: string }) {
  const { date } = useI18n();
  return <time dateTime={iso}>{date(iso)}</time>;
}

/**
 * Loading and error states of a list, announced to screen readers: loading politely (the status
 * region is always there, so changes in it are read), errors at once, with a way to try again.
 */
export function LoadState({ state, onRetry }: { state: AsyncState<unknown>; onRetry(): void }) {
  const { t } = useI18n();
  const error = state.status === 'error' ? describeError(state.error, t) : null;
  return (
    <>
      <p role="status" className="load-state">
        {state.status === 'loading' ? t('state.loading') : ''}
      </p>
      {error && (
        <div role="alert" className="error">
          <p>{error.text}</p>
          {error.detail && <p className="detail">{error.detail}</p>}
          <button type="button" onClick={onRetry}>
            {t('state.retry')}
          </button>
        </div>
      )}
    </>
  );
}

export function Pager({ paging, label }: { paging: Paging; label?: string }) {
  const { t } = useI18n();
  if (!paging.hasPrevious && !paging.hasNext) return null;
  return (
    <nav className="pager" aria-label={label ? `${t('page.label')}: ${label}` : t('page.label')}>
      <button type="button" onClick={paging.previous} disabled={!paging.hasPrevious}>
        {t('page.previous')}
      </button>
      <span aria-current="page">{t('page.number', { n: paging.page })}</span>
      <button type="button" onClick={paging.next} disabled={!paging.hasNext}>
        {t('page.next')}
      </button>
    </nav>
  );
}

export interface NoticeText {
  kind: 'ok' | 'error';
  text: string;
}

/** The outcome of the last action on a page (hidden, retried…), read out when it changes. */
export function Notice({ notice }: { notice: NoticeText | null }) {
  return (
    <div role="status" className="notice-area">
      {notice && <p className={notice.kind === 'error' ? 'notice error' : 'notice'}>{notice.text}</p>}
    </div>
  );
}

export function Empty({ show }: { show: boolean }) {
  const { t } = useI18n();
  return show ? <p className="empty">{t('state.empty')}</p> : null;
}

export function Section({
  title,
  children,
  level = 2,
}: {
  title: string;
  children: ReactNode;
  level?: 2 | 3;
}) {
  const Heading = level === 2 ? 'h2' : 'h3';
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="panel">
      <Heading id={headingId}>{title}</Heading>
      {children}
    </section>
  );
}
