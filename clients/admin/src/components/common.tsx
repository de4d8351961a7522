import { useId, type MouseEvent, type ReactNode } from 'react';
import { useI18n } from '../i18n/context';
import { describeError, errorLine } from '../lib/errors';
import type { NoticeText } from '../lib/use-action';
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

/**
 * Previous/next. A button that cannot act is aria-disabled, not disabled: a disabled button drops
 * the focus of whoever just pressed it (to <body>), and the Pager stays while a page loads.
 */
export function Pager({ paging, label }: { paging: Paging; label?: string }) {
  const { t } = useI18n();
  if (!paging.hasPrevious && !paging.hasNext && !paging.busy) return null;
  return (
    <nav className="pager" aria-label={label ? `${t('page.label')}: ${label}` : t('page.label')}>
      <PagerButton enabled={paging.hasPrevious && !paging.busy} onPress={paging.previous}>
        {t('page.previous')}
      </PagerButton>
      <span aria-current="page">{t('page.number', { n: paging.page })}</span>
      <PagerButton enabled={paging.hasNext && !paging.busy} onPress={paging.next}>
        {t('page.next')}
      </PagerButton>
    </nav>
  );
}

function PagerButton({
  enabled,
  onPress,
  children,
}: {
  enabled: boolean;
  onPress(): void;
  children: ReactNode;
}) {
  return (
    <button type="button" aria-disabled={!enabled} onClick={guard(!enabled, onPress)}>
      {children}
    </button>
  );
}

/** The click handler of an aria-disabled button: nothing while it is disabled. */
export const guard =
  (disabled: boolean, action: () => void) =>
  (event: MouseEvent): void => {
    event.preventDefault();
    if (!disabled) action();
  };

export type { NoticeText };

/** The outcome of the last action on a page (hidden, retried…), read out when it changes. */
export function Notice({ notice }: { notice: NoticeText | null }) {
  const { t } = useI18n();
  const text = !notice
    ? null
    : 'error' in notice
      ? errorLine(describeError(notice.error, t))
      : t(notice.key, notice.vars);
  return (
    <div role="status" className="notice-area">
      {notice && <p className={notice.kind === 'error' ? 'notice error' : 'notice'}>{text}</p>}
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
