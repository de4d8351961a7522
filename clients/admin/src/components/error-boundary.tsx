import { Component, type ReactNode } from 'react';
import { useI18n } from '../i18n/context';
import { describeError } from '../lib/errors';

/**
 * A render error in the console (a value the code did not expect) shows a message and a way out
 * instead of a blank page (React still reports the error to the console: onCaughtError).
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override render() {
    return this.state.error === null ? this.props.children : <Crashed error={this.state.error} />;
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
