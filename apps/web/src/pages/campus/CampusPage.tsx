import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { post } from '../../api/client';
import type { CampusCard } from '../../api/types';
import { ErrorNotice, Field, Loading, MoneyText } from '../../components/ui';
import { KycBanner } from '../wallet/KycBanner';
import { useCards } from './cards';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function AddCard() {
  const { t } = useTranslation('campus');
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const [universityId, setUniversityId] = useState(params.get('university') ?? '');
  const [memberNo, setMemberNo] = useState('');
  const [errors, setErrors] = useState<{ universityId?: string; memberNo?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = {
      universityId: UUID.test(universityId.trim()) ? undefined : t('add.universityError'),
      memberNo: memberNo.trim() ? undefined : t('add.memberNoError'),
    };
    setErrors(problems);
    if (problems.universityId || problems.memberNo) return;
    setBusy(true);
    setError(null);
    try {
      await post<CampusCard>('/v1/campus/cards', { universityId: universityId.trim(), memberNo: memberNo.trim() });
      await queryClient.invalidateQueries({ queryKey: ['campus'] });
      setMemberNo('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="card" onSubmit={(e) => void submit(e)} noValidate>
      <h2>{t('add.title')}</h2>
      <Field label={t('add.universityId')} value={universityId} onChange={(e) => setUniversityId(e.target.value)} error={errors.universityId} hint={t('add.universityHint')} autoComplete="off" />
      <Field label={t('add.memberNo')} value={memberNo} onChange={(e) => setMemberNo(e.target.value)} error={errors.memberNo} autoComplete="off" />
      <ErrorNotice error={error} />
      <button type="submit" disabled={busy}>
        {t('add.submit')}
      </button>
    </form>
  );
}

export default function CampusPage() {
  const { t } = useTranslation('campus');
  const cards = useCards();
  return (
    <section className="narrow">
      <h1>{t('title')}</h1>
      <KycBanner />
      <ErrorNotice error={cards.error} />
      {cards.isPending ? (
        <Loading />
      ) : (
        <ul className="list" aria-label={t('myCards')}>
          {cards.data?.map((c) => (
            <li key={c.id} className="row" data-testid="campus-card">
              <div>
                <Link to={`/campus/cards/${c.id}`}>{t('cardLink', { memberNo: c.memberNo })}</Link>
                <br />
                <small className={`status status-${c.status}`}>{t(`statuses.${c.status}`)}</small>
              </div>
              <div className="right">
                <MoneyText amount={c.balance} currency={c.currency} />
              </div>
            </li>
          ))}
        </ul>
      )}
      {cards.data?.length === 0 && <p className="muted">{t('noCards')}</p>}
      <AddCard />
    </section>
  );
}
