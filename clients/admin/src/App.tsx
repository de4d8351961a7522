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
import { guard } from './components/common';
import { describeError } from './lib/errors';
import { focusHeading } from './lib/focus';
import { useDocumentTitle } from './lib/use-document-title';

const ExplorerPage = lazy(() => import('./pages/ExplorerPage'));

const isAdmin = (session: Session | null): session is Session => session?.user.role === 'ADMIN';

const subscribeToRoute = (notify: () => void) => {
  window.addEventListener('popstate', notify);
  return () => window.removeEventListener('popstate', notify);
};
const currentPath = () => window.location.pathname;

function useRoute(): Route {
  return parseRoute(useSyncExternalStore(subscribeToRoute, currentPath), BASE);
}

export function App() {
  const { t } = useI18n();
  // undefined: not known yet (the stored session, then `me`, are being checked).
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [startError, setStartError] = useState<unknown>(null);
  const [notice, setNotice] = useState<EndNotice | null>(null);
  // Focus moves to the new page's heading after a log-in or log-out, not on the first load.
  const [moved, setMoved] = useState(false);
  useEffect(() => {
    let refusing = false;
    let checking = false;
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
      setSession(null);
      setNotice({ kind: 'alert', lines });
    };
    const off = onSessionChange((next) => {
      if (next && !isAdmin(next)) return void refuse();
      if (next && checking) return; // shown once `me` has answered
      if (next) setNotice(null);
      // A session that ends on its own (revoked, refresh token expired) says so on the log-in page.
      else if (!loggingOut()) setNotice({ kind: 'status', lines: [{ key: 'app.loggedOut' }] });
      setStartError(null);
      setMoved(true);
      setSession(next);
    });
    let active = true;
    // The role may have changed since a session was stored: the console shows only once `me`
    // says ADMIN (a failure is tried once more, then shown; no answer is a refusal).
    const askMe = () => client.request(AdminMeDocument, {}).then((answer) => answer.me);
    void client.ready().then(async (stored) => {
      if (!active) return; // an effect already cleaned up (StrictMode runs it twice in development)
      if (!stored) return setSession(null);
      if (!isAdmin(stored)) return refuse();
      let me;
      checking = true;
      try {
        me = await askMe().catch(askMe);
      } catch (err) {
        // A session that ended meanwhile is already on the log-in page, with its notice.
        if (active && client.session()) setStartError(err);
        return;
      } finally {
        checking = false;
      }
      if (!active || client.session() === null) return;
      if (me?.role !== 'ADMIN') return refuse();
      setSession(client.session());
    });
    return () => {
      active = false;
      off();
    };
  }, []);

  if (startError !== null) return <StartFailed error={startError} />;
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
        <LoginPage notice={notice} focusHeading={moved} />
      </>
    );
  // The session is forgotten here either way; a revocation the gateway did not get is said.
  const onLogOut = () =>
    logOut().catch((error: unknown) =>
      setNotice({ kind: 'alert', lines: [{ key: 'login.logOutFailed', error }] }),
    );
  return <Console session={session} onLogOut={onLogOut} focusHeading={moved} />;
}

/** `me` could not be asked on start-up: the console is not shown on a role it could not check. */
function StartFailed({ error }: { error: unknown }) {
  const { t } = useI18n();
  useDocumentTitle(null);
  const { text, detail } = describeError(error, t);
  return (
    <main id="main" className="login">
      <h1>{t('app.title')}</h1>
      <div role="alert" className="error">
        <p>{text}</p>
        {detail && <p className="detail">{detail}</p>}
        <button type="button" onClick={() => window.location.reload()}>
          {t('error.reload')}
        </button>
      </div>
    </main>
  );
}

const NAV_LABEL: Record<Route['section'], MessageKey> = {
  reports: 'nav.reports',
  reviews: 'nav.reviews',
  users: 'nav.users',
  queues: 'nav.queues',
  imports: 'nav.imports',
  explorer: 'nav.explorer',
};

function Console({
  session,
  onLogOut,
  focusHeading: arrived,
}: {
  session: Session;
  onLogOut(): Promise<void>;
  focusHeading: boolean;
}) {
  const { t, timeZone } = useI18n();
  const route = useRoute();
  useDocumentTitle(t(NAV_LABEL[route.section]));
  const main = useRef<HTMLElement>(null);
  // Whether this console came from a log-in (a reload leaves focus where the browser puts it).
  const first = useRef(!arrived);
  const [leaving, setLeaving] = useState(false);
  useEffect(() => {
    // After navigating or logging in, keyboard and screen-reader users start at the new page's
    // heading, not the old link.
    if (first.current) first.current = false;
    else focusHeading(main.current);
  }, [route.section, route.param]);
  const logOutOnce = () => {
    if (leaving) return;
    setLeaving(true);
    void onLogOut().finally(() => setLeaving(false));
  };
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
          <button type="button" aria-disabled={leaving} onClick={guard(leaving, logOutOnce)}>
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
