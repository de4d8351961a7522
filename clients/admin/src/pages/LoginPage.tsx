import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useI18n } from '../i18n/context';
import type { MessageKey } from '../i18n/messages';
import { client } from '../lib/client';
import { describeError, errorCode, errorLine, type ErrorText } from '../lib/errors';
import { focusHeading as focusHeadingIn } from '../lib/focus';
import { useDocumentTitle } from '../lib/use-document-title';

/** What the log-in page says about how the last session ended. */
export interface EndNotice {
  kind: 'status' | 'alert';
  /** Kept as keys (and the error itself) to be rendered in the language of the moment. */
  lines: Array<{ key: MessageKey; error?: unknown }>;
}

/**
 * The log-in form. Who may stay is the App's decision (admins only: anyone else is logged out at
 * once, their refresh token revoked, and told why through `notice`).
 */
export function LoginPage({ notice, focusHeading }: { notice: EndNotice | null; focusHeading: boolean }) {
  const { t } = useI18n();
  useDocumentTitle(t('login.heading'));
  const main = useRef<HTMLElement>(null);
  // Live regions are read when their text changes, not when they arrive with it: they are in the
  // page from the start, and what the page came with is put in them right after.
  const [mounted, setMounted] = useState(false);
  useEffect(() => {
    if (focusHeading) focusHeadingIn(main.current); // after a log-out: the admin starts here
    const timer = setTimeout(() => setMounted(true), 50);
    return () => clearTimeout(timer);
  }, []);
  const ids = { email: useId(), password: useId() };
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await client.logIn(email.trim(), password);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  // A refused log-in is the credentials, not an expired session.
  const failure: ErrorText | null =
    error === null
      ? null
      : errorCode(error) === 'UNAUTHENTICATED'
        ? { text: t('login.badCredentials') }
        : describeError(error, t);
  const noticeLines = notice?.lines.map(({ key, error: cause }) =>
    cause === undefined ? t(key) : t(key, { message: errorLine(describeError(cause, t)) }),
  );
  const alert = mounted && failure === null && notice?.kind === 'alert' ? noticeLines : null;
  const status = mounted && failure === null && notice?.kind === 'status' ? noticeLines?.join(' ') : null;

  return (
    <main id="main" className="login" ref={main}>
      <h1>{t('login.heading')}</h1>
      <p role="status">{status}</p>
      <form
        onSubmit={submit}
        className="form"
        aria-describedby={failure || alert ? `${ids.email}-error` : undefined}
      >
        <label htmlFor={ids.email}>{t('login.email')}</label>
        <input
          id={ids.email}
          type="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
        />
        <label htmlFor={ids.password}>{t('login.password')}</label>
        <input
          id={ids.password}
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
        <button type="submit" disabled={busy}>
          {busy ? t('login.busy') : t('login.submit')}
        </button>
      </form>
      <div role="alert" id={`${ids.email}-error`} className="error-area">
        {failure && (
          <div className="error">
            <p>{failure.text}</p>
            {failure.detail && <p className="detail">{failure.detail}</p>}
          </div>
        )}
        {alert?.map((line) => (
          <p key={line} className="error">
            {line}
          </p>
        ))}
      </div>
    </main>
  );
}
