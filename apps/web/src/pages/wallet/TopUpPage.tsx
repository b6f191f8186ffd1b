import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useTranslation } from 'react-i18next';
import { needsNewKey, newIdempotencyKey, post } from '../../api/client';
import { PROVIDERS, type PaymentOrder, type Provider } from '../../api/types';
import { ErrorNotice, Field } from '../../components/ui';
import { parseAmount } from '../../money';
import { KycBanner } from './KycBanner';
import { rememberCheckout } from './checkout';

export default function TopUpPage() {
  const { t } = useTranslation('wallet');
  const navigate = useNavigate();
  const [amount, setAmount] = useState('');
  const [provider, setProvider] = useState<Provider>('ALIPAY');
  const [amountError, setAmountError] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // one key per intent: a double tap or a retry after a network error does not pay twice
  const [key, setKey] = useState(newIdempotencyKey);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const minor = parseAmount(amount);
    setAmountError(minor === null || minor > 100_000_000 ? t('topUpForm.amountError') : undefined);
    if (minor === null || minor > 100_000_000) return;
    setBusy(true);
    setError(null);
    try {
      const order = await post<PaymentOrder>('/v1/wallet/top-ups', { amount: minor, currency: 'CNY', provider }, { idempotencyKey: key });
      if (order.checkout) rememberCheckout(order.id, order.checkout);
      setKey(newIdempotencyKey());
      void navigate(`/wallet/top-ups/${order.id}`);
    } catch (err) {
      // a refusal is stored under its key and would be answered again: another try is another intent
      if (needsNewKey(err)) setKey(newIdempotencyKey());
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="narrow">
      <h1>{t('topUp')}</h1>
      <KycBanner />
      <form onSubmit={(e) => void submit(e)} noValidate>
        <Field label={t('topUpForm.amount')} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} error={amountError} hint={t('topUpForm.amountHint')} />
        <fieldset>
          <legend>{t('topUpForm.provider')}</legend>
          {PROVIDERS.map((p) => (
            <label key={p} className="choice">
              <input type="radio" name="provider" value={p} checked={provider === p} onChange={() => setProvider(p)} />
              {t(`providers.${p}`)}
            </label>
          ))}
        </fieldset>
        <ErrorNotice error={error} />
        <button type="submit" disabled={busy}>
          {t('topUpForm.submit')}
        </button>
      </form>
    </section>
  );
}
