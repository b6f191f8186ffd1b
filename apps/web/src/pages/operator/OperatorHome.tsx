import { Link } from 'react-router';
import { useQueries } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../../api/client';
import type { Organization } from '../../api/types';
import { useAuth } from '../../auth/auth';
import { ErrorNotice, Loading } from '../../components/ui';

/**
 * The caller's organisations (roles from GET /v1/me), each opening the
 * console of its kind: billers, transit operators, universities and campus
 * merchants (see src/features.tsx).
 */
const CONSOLES: Partial<Record<Organization['kind'], (id: string) => string>> = {
  BILLER: (id) => `/operator/billers/${id}`,
  TRANSIT_OPERATOR: (id) => `/operator/transit/${id}`,
  UNIVERSITY: (id) => `/operator/universities/${id}`,
  MERCHANT: (id) => `/operator/merchants/${id}`,
};

export default function OperatorHome() {
  const { t } = useTranslation('operator');
  const { user } = useAuth();
  const orgIds = [...new Set(user?.roles.flatMap((r) => (r.organizationId ? [r.organizationId] : [])) ?? [])];
  const orgs = useQueries({
    queries: orgIds.map((id) => ({ queryKey: ['organization', id], queryFn: () => get<Organization>(`/v1/organizations/${id}`) })),
  });
  if (!user) return <Loading />;
  return (
    <section>
      <h1>{t('title')}</h1>
      {orgIds.length === 0 && <p className="muted">{t('noOrganizations')}</p>}
      <ul className="list">
        {orgs.map((q, i) => {
          const org = q.data;
          const role = user.roles.find((r) => r.organizationId === orgIds[i])?.role ?? '';
          const to = org && CONSOLES[org.kind]?.(org.id);
          return (
            <li key={orgIds[i]} className="row">
              <div>
                {org ? to ? <Link to={to}>{org.name}</Link> : <strong>{org.name}</strong> : <Loading />}
                <br />
                <small className="muted">
                  {org ? t(`kinds.${org.kind}`) : ''} · {t(`roles.${role}`, { defaultValue: role })}
                </small>
              </div>
              {org && !to && <small className="muted">{t('consoleLater')}</small>}
              <ErrorNotice error={q.error} />
            </li>
          );
        })}
      </ul>
    </section>
  );
}
