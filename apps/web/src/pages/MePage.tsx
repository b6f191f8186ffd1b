import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { hasRole, useAuth } from '../auth/auth';
import { LanguageSwitch } from '../components/Layout';
import { ErrorNotice, Loading } from '../components/ui';

export function MePage() {
  const { t } = useTranslation(['common', 'auth']);
  const { user, logout } = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<unknown>(null);
  if (!user) return <Loading />;
  return (
    <section>
      <h1>{t('me')}</h1>
      <dl className="facts">
        <dt>{t('auth:phone')}</dt>
        <dd>{user.phone}</dd>
        {user.displayName && (
          <>
            <dt>{t('auth:displayName')}</dt>
            <dd>{user.displayName}</dd>
          </>
        )}
        <dt>{t('auth:realName')}</dt>
        <dd>{user.realName ? `${user.realName.fullName} · ${user.realName.idNumberMasked}` : <Link to="/verify">{t('auth:verifyNow')}</Link>}</dd>
      </dl>
      <h2>{t('language')}</h2>
      <LanguageSwitch />
      {(user.roles.some((r) => r.organizationId) || hasRole(user, 'PLATFORM_ADMIN')) && (
        <>
          <h2>{t('consoles')}</h2>
          <ul className="links">
            {user.roles.some((r) => r.organizationId) && (
              <li>
                <Link to="/operator">{t('operator:nav')}</Link>
              </li>
            )}
            {hasRole(user, 'PLATFORM_ADMIN') && (
              <li>
                <Link to="/admin">{t('admin:nav')}</Link>
              </li>
            )}
          </ul>
        </>
      )}
      <ErrorNotice error={error} />
      <button
        type="button"
        className="secondary"
        onClick={() => {
          logout().then(
            () => void navigate('/login', { replace: true }),
            (err: unknown) => setError(err),
          );
        }}
      >
        {t('auth:logout')}
      </button>
    </section>
  );
}
