import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, NOT_FOUND } from '../../api/client';
import type { BillerAccount, Currency, Page } from '../../api/types';
import { InfiniteList, useCursorList } from '../../components/InfiniteList';
import { DateTime, ErrorNotice, Field, Loading, MoneyText } from '../../components/ui';
import { parseAmount } from '../../money';
import { useMyAccounts } from './BillsPage';

interface Attempt {
  id: string;
  period: string;
  billAmount: number;
  currency: Currency;
  status: string;
  reason: string | null;
  paymentId: string | null;
  updatedAt: string;
}

export default function AutoPayPage() {
  const { t } = useTranslation(['bills', 'wallet']);
  const { accountId = '' } = useParams();
  const queryClient = useQueryClient();
  const accounts = useMyAccounts();
  const attempts = useCursorList<Page<Attempt>>(['auto-pay', accountId], `/v1/me/biller-accounts/${encodeURIComponent(accountId)}/auto-pay/attempts`);
  const [max, setMax] = useState('');
  const [maxError, setMaxError] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (accounts.isPending) return <Loading />;
  const account = accounts.data?.find((a) => a.id === accountId);
  if (!account) return <ErrorNotice error={accounts.error ?? NOT_FOUND} />;
  const autoPay = account.autoPay as { maxAmount: number; currency: Currency } | null;

  const change = async (body: { maxAmount: number } | null) => {
    setBusy(true);
    setError(null);
    try {
      const updated = await api<BillerAccount>(body ? 'PUT' : 'DELETE', `/v1/me/biller-accounts/${account.id}/auto-pay`, body ? { body } : {});
      queryClient.setQueryData<BillerAccount[]>(['biller-accounts'], (list) => list?.map((a) => (a.id === updated.id ? updated : a)));
      setMax('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const minor = parseAmount(max);
    setMaxError(minor === null ? t('wallet:topUpForm.amountError') : undefined);
    if (minor !== null) void change({ maxAmount: minor });
  };
  return (
    <section className="narrow">
      <h1>{t('autoPay.title')}</h1>
      <p>
        {account.billerName} · {account.customerRef}
      </p>
      <p role="status" className="notice">
        {autoPay ? (
          <>
            {t('autoPay.activeUpTo')} <MoneyText amount={autoPay.maxAmount} currency={autoPay.currency} />
          </>
        ) : (
          t('autoPay.inactive')
        )}
      </p>
      <p className="muted">{t('autoPay.explain')}</p>
      <form onSubmit={submit} noValidate>
        <Field label={t('autoPay.maxAmount')} inputMode="decimal" value={max} onChange={(e) => setMax(e.target.value)} error={maxError} />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {autoPay ? t('autoPay.update') : t('autoPay.turnOn')}
          </button>
          {autoPay && (
            <button type="button" className="secondary" disabled={busy} onClick={() => void change(null)}>
              {t('autoPay.turnOff')}
            </button>
          )}
        </div>
      </form>
      <ErrorNotice error={error} />
      <h2>{t('autoPay.attempts')}</h2>
      <InfiniteList list={attempts} empty={t('autoPay.noAttempts')}>
        {(items) => (
          <ul className="list" aria-label={t('autoPay.attempts')}>
            {items.map((a) => (
              <li key={a.id} className="row">
                <div>
                  {a.period} · <MoneyText amount={a.billAmount} currency={a.currency} />
                  <br />
                  <small className="muted">
                    <DateTime iso={a.updatedAt} />
                  </small>
                </div>
                <div className="right">
                  {t(`autoPay.status.${a.status}`, { defaultValue: a.status })}
                  {a.reason && (
                    <>
                      <br />
                      <small className="muted">{t(`autoPay.reasons.${a.reason.split(':')[0]}`, { defaultValue: t('autoPay.reasons.ERROR') })}</small>
                    </>
                  )}
                  {a.paymentId && (
                    <>
                      <br />
                      <Link to={`/payments/${a.paymentId}`}>{t('receipt.title')}</Link>
                    </>
                  )}
                </div>
              </li>
            ))}
          </ul>
        )}
      </InfiniteList>
    </section>
  );
}
