import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../../api/client';
import type { Organization } from '../../api/types';
import { useAuth } from '../../auth/auth';
import { ErrorNotice } from '../../components/ui';

export const useOrganization = (id: string) => useQuery({ queryKey: ['organization', id], queryFn: () => get<Organization>(`/v1/organizations/${id}`) });

/**
 * The top of every operator console: the way back to the list of the
 * caller's organisations, the console's name in the reader's language (never
 * the organisation kind's code), and which organisation it is, of what kind,
 * in what role.
 */
export function ConsoleHeading({ kind, orgId }: { kind: Organization['kind']; orgId: string }) {
  const { t } = useTranslation('operator');
  const { user } = useAuth();
  const org = useOrganization(orgId);
  const role = user?.roles.find((r) => r.organizationId === orgId)?.role;
  return (
    <>
      <p>
        <Link to="/operator">{t('backToConsoles')}</Link>
      </p>
      <h1>{t(`consoles.${kind}`)}</h1>
      {org.data && (
        <p className="muted" data-testid="console-organization">
          {t('organizationLine', { name: org.data.name, kind: t(`kinds.${org.data.kind}`) })}
          {role && ` · ${t('yourRole', { role: t(`roles.${role}`, { defaultValue: role }) })}`}
        </p>
      )}
      <ErrorNotice error={org.error} />
    </>
  );
}
