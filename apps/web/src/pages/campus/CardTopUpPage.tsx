import { useEffect, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { needsNewKey, newIdempotencyKey, post } from '../../api/client';
import type { CardTopUp, Provider } from '../../api/types';
import { ErrorNotice, Field, MoneyText } from '../../components/ui';
import { parseAmount } from '../../money';
import { CheckoutPanel } from '../wallet/CheckoutPanel';
import { usePaymentOrder } from '../wallet/checkout';

const SOURCES = ['WALLET', 'ALIPAY', 'WECHAT_PAY', 'UNIONPAY'] as const;

export default function CardTopUpPage() {
  const { t } = useTranslation(['campus', 'wallet']);
  const { cardId } = useParams();
  const queryClient = useQueryClient();
  const [amount, setAmount] = useState('');
  const [source, setSource] = useState<(typeof SOURCES)[number]>('WALLET');
  const [amountError, setAmountError] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<CardTopUp | null>(null);
  const [key, setKey] = useState(newIdempotencyKey);
  // a provider top-up is credited once the provider says so: follow its payment order, as the wallet's top-up page does
  const orderId = result?.status === 'PENDING' ? result.paymentOrder?.id : undefined;
  const followed = usePaymentOrder(orderId);
  const orderStatus = orderId ? followed.data?.status : undefined;
  useEffect(() => {
    if (orderStatus === 'SUCCEEDED') void queryClient.invalidateQueries({ queryKey: ['campus'] });
  }, [orderStatus, queryClient]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const minor = parseAmount(amount);
    const bad = minor === null || minor > 100_000_000;
    setAmountError(bad ? t('campus:topUpForm.amountError') : undefined);
    if (bad) return;
    setBusy(true);
    setError(null);
    try {
      const r = await post<CardTopUp>(`/v1/campus/cards/${cardId}/top-ups`, { amount: minor, source }, { idempotencyKey: key });
      setResult(r);
      setKey(newIdempotencyKey());
      void queryClient.invalidateQueries({ queryKey: ['campus'] });
      void queryClient.invalidateQueries({ queryKey: ['wallet'] });
    } catch (err) {
      setError(err);
      if (needsNewKey(err)) setKey(newIdempotencyKey());
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="narrow">
      <h1>{t('campus:topUpForm.title')}</h1>
      <p>
        <Link to={`/campus/cards/${cardId}`}>{t('campus:backToCard')}</Link>
      </p>
      {result && (result.status === 'SUCCEEDED' || orderStatus === 'SUCCEEDED') ? (
        <p className="notice ok" role="status" data-testid="card-top-up-done">
          {t('campus:topUpForm.done')} <MoneyText amount={result.amount} currency={result.currency} />
        </p>
      ) : result?.checkout && (orderStatus === undefined || orderStatus === 'PENDING') ? (
        <>
          <p role="status" aria-live="polite" data-testid="card-top-up-status">
            {t('wallet:order.status.PENDING')}
          </p>
          <CheckoutPanel provider={result.source as Provider} checkout={result.checkout} returnTo={`/campus/cards/${cardId}`} />
        </>
      ) : (
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Field label={t('campus:topUpForm.amount')} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} error={amountError} />
          <fieldset>
            <legend>{t('campus:topUpForm.source')}</legend>
            {SOURCES.map((s) => (
              <label key={s} className="choice">
                <input type="radio" name="source" value={s} checked={source === s} onChange={() => setSource(s)} />
                {s === 'WALLET' ? t('campus:topUpForm.wallet') : t(`wallet:providers.${s}`)}
              </label>
            ))}
          </fieldset>
          {orderStatus && (
            <p className="notice error" role="alert" data-testid="card-top-up-status">
              {t(`wallet:order.status.${orderStatus}`)}
            </p>
          )}
          <ErrorNotice error={error} />
          <button type="submit" disabled={busy}>
            {t('campus:topUpForm.submit')}
          </button>
        </form>
      )}
    </section>
  );
}
