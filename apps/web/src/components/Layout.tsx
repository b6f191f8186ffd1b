import { Suspense, useEffect } from 'react';
import { NavLink, Outlet } from 'react-router';
import { useTranslation } from 'react-i18next';
import { hasRole, useAuth } from '../auth/auth';
import { FEATURES } from '../features';
import { LANGUAGES, setLanguage, type Language } from '../i18n';
import { Loading } from './ui';
import { LiveNotificationsProvider, LiveToast } from '../notifications/live';

export function LanguageSwitch() {
  const { t, i18n } = useTranslation('common');
  return (
    <div className="lang" role="group" aria-label={t('language')}>
      {LANGUAGES.map((lng: Language) => (
        <button key={lng} type="button" className="link" aria-pressed={i18n.language === lng} onClick={() => void setLanguage(lng)} lang={lng}>
          {lng === 'zh-CN' ? '中文' : 'English'}
        </button>
      ))}
    </div>
  );
}

/**
 * The document's title follows the page's heading ("缴费 · 城市支付"), in the
 * reader's language: each page is told apart in tabs, history and by screen
 * readers (the heading appears after a lazy page or its data loads, so it is
 * watched rather than read once).
 */
function useTitleFromHeading(appName: string) {
  useEffect(() => {
    const main = document.getElementById('main');
    if (!main) return;
    const update = () => {
      const heading = main.querySelector('h1')?.textContent?.trim();
      const title = heading && heading !== appName ? `${heading} · ${appName}` : appName;
      if (document.title !== title) document.title = title;
    };
    update();
    const observer = new MutationObserver(update);
    observer.observe(main, { childList: true, subtree: true, characterData: true });
    return () => observer.disconnect();
  }, [appName]);
}

export function Layout() {
  const { t } = useTranslation(['common']);
  useTitleFromHeading(t('appName'));
  const { signedIn, user } = useAuth();
  const staff = !!user?.roles.some((r) => r.organizationId);
  return (
    <LiveNotificationsProvider>
      <div className="shell">
        <a className="skip" href="#main">
          {t('skipToContent')}
        </a>
        <header className="top">
          <NavLink to="/" className="brand">
            {t('appName')}
          </NavLink>
          <LanguageSwitch />
        </header>
        {signedIn && (
          <nav className="tabs" aria-label={t('mainNav')}>
            {FEATURES.filter((f) => f.nav).map((f) => (
              <NavLink key={f.id} to={f.nav!.to}>
                {t(f.nav!.labelKey)}
                {f.navBadge && <f.navBadge />}
              </NavLink>
            ))}
            {staff && <NavLink to="/operator">{t('operator:nav')}</NavLink>}
            {hasRole(user, 'PLATFORM_ADMIN') && <NavLink to="/admin">{t('admin:nav')}</NavLink>}
            <NavLink to="/me">{t('me')}</NavLink>
          </nav>
        )}
        {signedIn && <LiveToast />}
        <main id="main" tabIndex={-1}>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </LiveNotificationsProvider>
  );
}
