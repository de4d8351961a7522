import { Component, type ReactNode } from 'react';
import { useI18n } from '../i18n/context';
import { describeError } from '../lib/errors';

interface Props {
  children: ReactNode;
  /** What to show instead; by default the console's message in the admin's language (needs I18nProvider). */
  fallback?: (error: unknown) => ReactNode;
}

/**
 * A render error in the console (a value the code did not expect) shows a message and a way out
 * instead of a blank page (React still reports the error to the console: onCaughtError).
 */
export class ErrorBoundary extends Component<Props, { hasError: boolean; error?: unknown }> {
  override state: { hasError: boolean; error?: unknown } = { hasError: false };

  static getDerivedStateFromError(error: unknown) {
    return { hasError: true, error };
  }

  override render() {
    if (!this.state.hasError) return this.props.children;
    return this.props.fallback ? this.props.fallback(this.state.error) : <Crashed error={this.state.error} />;
  }
}

function Crashed({ error }: { error: unknown }) {
  const { t } = useI18n();
  const { detail } = describeError(error, t);
  return (
    <div role="alert" className="error boundary">
      <p>{t('error.boundary')}</p>
      {detail && <p className="detail">{detail}</p>}
      <button type="button" onClick={() => window.location.reload()}>
        {t('error.reload')}
      </button>
    </div>
  );
}

/**
 * The last resort, outside the language provider (which can be what failed: storage refused):
 * plain text in both languages.
 */
export function CrashedPlain() {
  return (
    <main className="login">
      <div role="alert" className="error boundary">
        <p lang="en">The console stopped working because of an error.</p>
        <p lang="ko">오류로 콘솔이 멈췄습니다.</p>
        <button type="button" onClick={() => window.location.reload()}>
          <span lang="en">Reload the page</span> / <span lang="ko">페이지 새로고침</span>
        </button>
      </div>
    </main>
  );
}
