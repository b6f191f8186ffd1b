import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError, get, post } from '../../api/client';
import type { Biller } from '../../api/types';
import { ErrorNotice, Field, SelectField } from '../../components/ui';

export const useBillers = () => useQuery({ queryKey: ['billers'], queryFn: () => get<Biller[]>('/v1/billers'), staleTime: 300_000 });

export default function LinkAccountPage() {
  const { t } = useTranslation('bills');
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const billers = useBillers();
  const [billerId, setBillerId] = useState('');
  const [customerRef, setCustomerRef] = useState('');
  const [alias, setAlias] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!billerId) found.billerId = t('link.errors.biller');
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(customerRef.trim())) found.customerRef = t('link.errors.customerRef');
    setErrors(found);
    setError(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      await post('/v1/me/biller-accounts', { billerId, customerRef: customerRef.trim(), ...(alias.trim() ? { alias: alias.trim() } : {}) });
      await queryClient.invalidateQueries({ queryKey: ['biller-accounts'] });
      await queryClient.invalidateQueries({ queryKey: ['my-bills'] });
      void navigate('/bills');
    } catch (err) {
      if (err instanceof ApiError && err.details?.length) setErrors(Object.fromEntries(err.details.map((d) => [d.field, t('link.errors.invalid')])));
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="narrow">
      <h1>{t('linkAccount')}</h1>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <SelectField label={t('link.biller')} value={billerId} onChange={(e) => setBillerId(e.target.value)} error={errors.billerId}>
          <option value="">{t('link.chooseBiller')}</option>
          {billers.data?.map((b) => (
            <option key={b.id} value={b.id}>
              {b.name} ({t(`categories.${b.category}`, { defaultValue: b.category })})
            </option>
          ))}
        </SelectField>
        <Field label={t('link.customerRef')} value={customerRef} onChange={(e) => setCustomerRef(e.target.value)} error={errors.customerRef} hint={t('link.customerRefHint')} autoComplete="off" />
        <Field label={t('link.alias')} value={alias} onChange={(e) => setAlias(e.target.value)} maxLength={40} error={errors.alias} />
        <ErrorNotice error={error ?? billers.error} />
        <button type="submit" disabled={busy}>
          {t('link.submit')}
        </button>
      </form>
    </section>
  );
}
