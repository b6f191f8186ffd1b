import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { ApiError, post } from '../../api/client';
import type { User } from '../../api/types';
import { useAuth } from '../../auth/auth';
import { ErrorNotice, Field, Loading, SelectField } from '../../components/ui';
import { validPrcId } from '../../money';

const ID_TYPES = ['PRC_ID', 'HK_MO_PERMIT', 'PASSPORT'] as const;

export default function RealNamePage() {
  const { t } = useTranslation('wallet');
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [fullName, setFullName] = useState('');
  const [idType, setIdType] = useState<(typeof ID_TYPES)[number]>('PRC_ID');
  const [idNumber, setIdNumber] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!user) return <Loading />;
  if (user.realName) {
    return (
      <section className="narrow">
        <h1>{t('realName.title')}</h1>
        <p className="notice ok">{t('realName.done', { name: user.realName.fullName, id: user.realName.idNumberMasked })}</p>
      </section>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const id = idNumber.trim().toUpperCase();
    const found: Record<string, string> = {};
    if (!fullName.trim()) found.fullName = t('realName.errors.fullName');
    if (idType === 'PRC_ID' && !/^\d{17}[\dX]$/.test(id)) found.idNumber = t('realName.errors.prcFormat');
    else if (idType === 'PRC_ID' && !validPrcId(id)) found.idNumber = t('realName.errors.prcChecksum');
    else if (!id) found.idNumber = t('realName.errors.idNumber');
    setErrors(found);
    setError(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const updated = await post<User>('/v1/me/real-name', { fullName: fullName.trim(), idType, idNumber: id });
      queryClient.setQueryData(['me'], updated);
      void navigate('/wallet', { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'INVALID_ID_NUMBER') setErrors({ idNumber: t('realName.errors.prcChecksum') });
      else if (err instanceof ApiError && err.code === 'ID_ALREADY_BOUND') setErrors({ idNumber: t('realName.errors.bound') });
      else if (err instanceof ApiError && err.code === 'VALIDATION_FAILED' && err.details?.length) {
        setErrors(Object.fromEntries(err.details.map((d) => [d.field, t('realName.errors.invalidField')])));
      } else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="narrow">
      <h1>{t('realName.title')}</h1>
      <p className="muted">{t('realName.why')}</p>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field label={t('realName.fullName')} autoComplete="name" value={fullName} onChange={(e) => setFullName(e.target.value)} error={errors.fullName} />
        <SelectField label={t('realName.idType')} value={idType} onChange={(e) => setIdType(e.target.value as (typeof ID_TYPES)[number])} error={errors.idType}>
          {ID_TYPES.map((type) => (
            <option key={type} value={type}>
              {t(`realName.idTypes.${type}`)}
            </option>
          ))}
        </SelectField>
        <Field label={t('realName.idNumber')} value={idNumber} onChange={(e) => setIdNumber(e.target.value)} error={errors.idNumber} autoComplete="off" maxLength={32} hint={idType === 'PRC_ID' ? t('realName.prcHint') : undefined} />
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy}>
          {t('realName.submit')}
        </button>
      </form>
    </section>
  );
}
