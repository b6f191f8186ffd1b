import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError, get, post } from '../../api/client';
import type { Organization } from '../../api/types';
import { ErrorNotice, Field, Loading, SelectField } from '../../components/ui';

const KINDS = ['BILLER', 'TRANSIT_OPERATOR', 'UNIVERSITY', 'MERCHANT'] as const;
const BILLER_CATEGORIES = ['ELECTRICITY', 'WATER', 'GAS', 'HEATING', 'CABLE_TV', 'BROADBAND'] as const;
const MERCHANT_CATEGORIES = ['CANTEEN', 'SHOP', 'LAUNDRY', 'PRINTING', 'LIBRARY', 'OTHER'] as const;
const CURRENCIES = ['CNY', 'HKD', 'MOP'] as const;

export default function AdminPage() {
  const { t } = useTranslation(['admin', 'operator', 'bills']);
  const queryClient = useQueryClient();
  const orgs = useQuery({ queryKey: ['admin', 'organizations'], queryFn: () => get<Organization[]>('/v1/admin/organizations') });
  const universities = orgs.data?.filter((o) => o.kind === 'UNIVERSITY') ?? [];
  const [name, setName] = useState('');
  const [kind, setKind] = useState<(typeof KINDS)[number]>('BILLER');
  const [billerCategory, setBillerCategory] = useState<string>('ELECTRICITY');
  const [allowsPartial, setAllowsPartial] = useState(false);
  const [allowsAdvance, setAllowsAdvance] = useState(false);
  const [universityId, setUniversityId] = useState('');
  const [merchantCategory, setMerchantCategory] = useState<string>('CANTEEN');
  const [currency, setCurrency] = useState<string>('CNY');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<Organization | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!name.trim()) found.name = t('admin:errors.name');
    if (kind === 'MERCHANT' && !universityId) found.universityId = t('admin:errors.university');
    setErrors(found);
    setError(null);
    setCreated(null);
    if (Object.keys(found).length) return;
    const body: Record<string, unknown> = { name: name.trim(), kind, currency };
    if (kind === 'BILLER') Object.assign(body, { billerCategory, billerAllowsPartial: allowsPartial, billerAllowsAdvance: allowsAdvance });
    if (kind === 'MERCHANT') Object.assign(body, { universityId, merchantCategory });
    setBusy(true);
    try {
      setCreated(await post<Organization>('/v1/admin/organizations', body));
      setName('');
      await queryClient.invalidateQueries({ queryKey: ['admin', 'organizations'] });
    } catch (err) {
      if (err instanceof ApiError && err.details?.length) setErrors(Object.fromEntries(err.details.map((d) => [d.field, t('admin:errors.invalid')])));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section>
      <h1>{t('admin:title')}</h1>
      <p>
        <Link to="/admin/reconciliation">{t('admin:reconciliation.title')}</Link>
      </p>
      <div className="card">
        <h2>{t('admin:create.title')}</h2>
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Field label={t('admin:create.name')} value={name} onChange={(e) => setName(e.target.value)} error={errors.name} maxLength={200} />
          <SelectField label={t('admin:create.kind')} value={kind} onChange={(e) => setKind(e.target.value as (typeof KINDS)[number])}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {t(`operator:kinds.${k}`)}
              </option>
            ))}
          </SelectField>
          {kind === 'BILLER' && (
            <>
              <SelectField label={t('admin:create.billerCategory')} value={billerCategory} onChange={(e) => setBillerCategory(e.target.value)} error={errors.billerCategory}>
                {BILLER_CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {t(`bills:categories.${c}`)}
                  </option>
                ))}
              </SelectField>
              <label className="choice">
                <input type="checkbox" checked={allowsPartial} onChange={(e) => setAllowsPartial(e.target.checked)} />
                {t('admin:create.allowsPartial')}
              </label>
              <label className="choice">
                <input type="checkbox" checked={allowsAdvance} onChange={(e) => setAllowsAdvance(e.target.checked)} />
                {t('admin:create.allowsAdvance')}
              </label>
            </>
          )}
          {kind === 'MERCHANT' && (
            <>
              <SelectField label={t('admin:create.university')} value={universityId} onChange={(e) => setUniversityId(e.target.value)} error={errors.universityId}>
                <option value="">{t('admin:create.chooseUniversity')}</option>
                {universities.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name}
                  </option>
                ))}
              </SelectField>
              <SelectField label={t('admin:create.merchantCategory')} value={merchantCategory} onChange={(e) => setMerchantCategory(e.target.value)}>
                {MERCHANT_CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {t(`admin:merchantCategories.${c}`)}
                  </option>
                ))}
              </SelectField>
            </>
          )}
          <SelectField label={t('admin:create.currency')} value={currency} onChange={(e) => setCurrency(e.target.value)} error={errors.currency}>
            {CURRENCIES.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </SelectField>
          <ErrorNotice error={error} />
          {created && (
            <p className="notice ok" role="status">
              {t('admin:create.done', { name: created.name, id: created.id })}
            </p>
          )}
          <button type="submit" disabled={busy}>
            {t('admin:create.submit')}
          </button>
        </form>
      </div>
      <h2>{t('admin:organizations')}</h2>
      <ErrorNotice error={orgs.error} />
      {orgs.isPending ? (
        <Loading />
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('admin:create.name')}</th>
              <th scope="col">{t('admin:create.kind')}</th>
              <th scope="col">{t('admin:create.currency')}</th>
            </tr>
          </thead>
          <tbody>
            {orgs.data?.map((o) => (
              <tr key={o.id}>
                <td>{o.name}</td>
                <td>{t(`operator:kinds.${o.kind}`)}</td>
                <td>{o.currency ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
