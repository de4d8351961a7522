import { useId, useState, type FormEvent } from 'react';
import { MoimGraphQLError } from '@moim/sdk';
import { useI18n } from '../i18n/context';
import { client, logOut } from '../lib/client';
import { toError } from '../lib/use-async';

/**
 * Admins only: anyone else who logs in is logged out again at once (their refresh token revoked)
 * and told why.
 */
export function LoginPage({ notice }: { notice: string | null }) {
  const { t } = useI18n();
  const ids = { email: useId(), password: useId() };
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = await client.logIn(email.trim(), password);
      if (session.user.role !== 'ADMIN') {
        await logOut().catch(() => undefined);
        setError(t('login.notAdmin'));
      }
    } catch (err) {
      const message = err instanceof MoimGraphQLError ? err.message : toError(err).message;
      setError(t('login.failed', { message }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="login">
      <h1>{t('login.heading')}</h1>
      {notice && !error && <p role="status">{notice}</p>}
      <form onSubmit={submit} className="form" aria-describedby={error ? `${ids.email}-error` : undefined}>
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
        {error && <p className="error">{error}</p>}
      </div>
    </main>
  );
}
