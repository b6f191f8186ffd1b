import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { ErrorNotice, Field, Loading } from '../../components/ui';
import { useCard } from './cards';

/** Sets or changes the card's 6-digit PIN (charges above the password-free limit ask for it). */
export default function CardPinPage() {
  const { t } = useTranslation('campus');
  const { cardId } = useParams();
  const queryClient = useQueryClient();
  const { card, isPending } = useCard(cardId);
  const [pin, setPin] = useState('');
  const [again, setAgain] = useState('');
  const [errors, setErrors] = useState<{ pin?: string; again?: string }>({});
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = { pin: /^\d{6}$/.test(pin) ? undefined : t('pin.format'), again: again === pin ? undefined : t('pin.mismatch') };
    setErrors(problems);
    if (problems.pin || problems.again) return;
    setBusy(true);
    setError(null);
    try {
      await api('PUT', `/v1/campus/cards/${cardId}/pin`, { body: { pin } });
      setDone(true);
      setPin('');
      setAgain('');
      void queryClient.invalidateQueries({ queryKey: ['campus'] });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  if (isPending) return <Loading />;
  return (
    <section className="narrow">
      <h1>{card?.pinSet ? t('pin.change') : t('pin.set')}</h1>
      <p>
        <Link to={`/campus/cards/${cardId}`}>{t('backToCard')}</Link>
      </p>
      {done && (
        <p className="notice ok" role="status" data-testid="pin-done">
          {t('pin.done')}
        </p>
      )}
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field label={t('pin.new')} type="password" inputMode="numeric" autoComplete="new-password" maxLength={6} value={pin} onChange={(e) => setPin(e.target.value)} error={errors.pin} hint={t('pin.hint')} />
        <Field label={t('pin.again')} type="password" inputMode="numeric" autoComplete="new-password" maxLength={6} value={again} onChange={(e) => setAgain(e.target.value)} error={errors.again} />
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy}>
          {t('pin.submit')}
        </button>
      </form>
    </section>
  );
}
