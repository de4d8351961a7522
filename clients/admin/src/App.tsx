import { lazy, Suspense, useEffect, useId, useRef, useState, useSyncExternalStore } from 'react';
import type { Session } from '@moim/sdk';
import { useI18n } from './i18n/context';
import { LANGUAGE_NAMES, LANGUAGES, type Language, type MessageKey } from './i18n/messages';
import { AdminMeDocument } from '@moim/sdk/admin';
import { client, loggingOut, logOut, onSessionChange } from './lib/client';
import { parseRoute, SECTIONS, type Route } from './lib/route';
import { ImportsPage } from './pages/ImportsPage';
import { LoginPage, type EndNotice } from './pages/LoginPage';
import { ErrorBoundary } from './components/error-boundary';
import { QueuesPage } from './pages/QueuesPage';
import { ReportsPage } from './pages/ReportsPage';
import { ReviewsPage } from './pages/ReviewsPage';
import { UserPage } from './pages/UserPage';
import { UsersPage } from './pages/UsersPage';
import { BASE, Link } from './components/link';

const ExplorerPage = lazy(() => import('./pages/ExplorerPage'));

const isAdmin = (session: Session | null): session is Session => session?.user.role === 'ADMIN';

function useRoute(): Route {
  const path = useSyncExternalStore(
    (notify) => {
      window.addEventListener('popstate', notify);
      return () => window.removeEventListener('popstate', notify);
    },
    () => window.location.pathname,
  );
  return parseRoute(path, BASE);
}

export function App() {
  const { t } = useI18n();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [notice, setNotice] = useState<EndNotice | null>(null);
  useEffect(() => {
    let refusing = false;
    // Anyone but an admin is logged out at once and told why: after a log-in, a refresh that
    // brings a new role, or `me` on start-up for a session kept from before.
    const refuse = async () => {
      if (refusing) return;
      refusing = true;
      const lines: EndNotice['lines'] = [{ key: 'login.notAdmin' }];
      try {
        await logOut();
      } catch (err) {
        lines.push({ key: 'login.logOutFailed', error: err });
      } finally {
        refusing = false;
      }
      setNotice({ kind: 'alert', lines });
    };
    const off = onSessionChange((next) => {
      if (next && !isAdmin(next)) return void refuse();
      if (next) setNotice(null);
      // A session that ends on its own (revoked, refresh token expired) says so on the log-in page.
      else if (!loggingOut()) setNotice({ kind: 'status', lines: [{ key: 'app.loggedOut' }] });
      setSession(next);
    });
    let active = true;
    void client.ready().then(async (stored) => {
      if (!active) return; // an effect already cleaned up (StrictMode runs it twice in development)
      if (stored && !isAdmin(stored)) return refuse();
      setSession(stored);
      if (!stored) return;
      // The role may have changed since this session was stored.
      const me = await client.request(AdminMeDocument, {}).catch(() => null);
      if (active && me?.me && me.me.role !== 'ADMIN') await refuse();
    });
    return () => {
      active = false;
      off();
    };
  }, []);

  if (session === undefined) return <p role="status">{t('state.loading')}</p>;
  if (!isAdmin(session))
    return (
      <>
        <header className="topbar">
          <p className="brand">{t('app.title')}</p>
          <div className="account">
            <LanguageSwitch />
          </div>
        </header>
        <LoginPage notice={notice} />
      </>
    );
  // The session is forgotten here either way; a revocation the gateway did not get is said.
  const onLogOut = () =>
    void logOut().catch((error: unknown) =>
      setNotice({ kind: 'alert', lines: [{ key: 'login.logOutFailed', error }] }),
    );
  return <Console session={session} onLogOut={onLogOut} />;
}

const NAV_LABEL: Record<Route['section'], MessageKey> = {
  reports: 'nav.reports',
  reviews: 'nav.reviews',
  users: 'nav.users',
  queues: 'nav.queues',
  imports: 'nav.imports',
  explorer: 'nav.explorer',
};

function Console({ session, onLogOut }: { session: Session; onLogOut(): void }) {
  const { t, timeZone } = useI18n();
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    // After navigating, keyboard and screen-reader users start at the new page, not the old link.
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [route.section, route.param]);
  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        {t('app.skip')}
      </a>
      <header className="topbar">
        <p className="brand">{t('app.title')}</p>
        <nav aria-label={t('app.nav')}>
          <ul>
            {SECTIONS.map((section) => (
              <li key={section}>
                <Link to={section} aria-current={route.section === section ? 'page' : undefined}>
                  {t(NAV_LABEL[section])}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="account">
          <LanguageSwitch />
          <span className="muted">{t('app.timeZone', { zone: timeZone })}</span>
          <span>{t('app.signedInAs', { nickname: session.user.nickname })}</span>
          <button type="button" onClick={onLogOut}>
            {t('app.logOut')}
          </button>
        </div>
      </header>
      <main id="main" ref={main} tabIndex={-1} className={route.section === 'explorer' ? 'wide' : undefined}>
        {/* A fault in one page leaves the header and navigation working; moving on resets it. */}
        <ErrorBoundary key={`${route.section}/${route.param ?? ''}`}>
          <Page route={route} nickname={session.user.nickname} />
        </ErrorBoundary>
      </main>
    </>
  );
}

function Page({ route, nickname }: { route: Route; nickname: string }) {
  const { t } = useI18n();
  switch (route.section) {
    case 'reports':
      return <ReportsPage />;
    case 'reviews':
      return <ReviewsPage mode={route.param} />;
    case 'users':
      return route.param ? <UserPage key={route.param} id={route.param} /> : <UsersPage />;
    case 'queues':
      return <QueuesPage queue={route.param} />;
    case 'imports':
      return <ImportsPage />;
    case 'explorer':
      return (
        <Suspense fallback={<p role="status">{t('state.loading')}</p>}>
          <ExplorerPage nickname={nickname} />
        </Suspense>
      );
  }
}

function LanguageSwitch() {
  const { t, language, setLanguage } = useI18n();
  const id = useId();
  return (
    <span>
      <label htmlFor={id}>{t('app.language')}</label>{' '}
      <select id={id} value={language} onChange={(e) => setLanguage(e.target.value as Language)}>
        {LANGUAGES.map((l) => (
          <option key={l} value={l} lang={l}>
            {LANGUAGE_NAMES[l]}
          </option>
        ))}
      </select>
    </span>
  );
}
