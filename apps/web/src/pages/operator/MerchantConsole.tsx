import { useState } from 'react';
import { useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get, needsNewKey, newIdempotencyKey, post } from '../../api/client';
import type { MerchantSettlement } from '../../api/types';
import { DateTime, ErrorNotice, Field, Loading, MoneyText } from '../../components/ui';
import { parseAmount } from '../../money';
import { ConsoleHeading } from './ConsoleHeading';
import { shanghaiToday } from './shanghai';

function RefundButton({ chargeId, max, currency, onDone }: { chargeId: string; max: number; currency: string; onDone: () => void }) {
  const { t } = useTranslation('operator');
  const [open, setOpen] = useState(false);
  const [amount, setAmount] = useState('');
  const [invalid, setInvalid] = useState<string>();
  const [error, setError] = useState<unknown>(null);
  const [key, setKey] = useState(newIdempotencyKey);
  const [busy, setBusy] = useState(false);
  if (!open)
    return (
      <button type="button" className="small secondary" onClick={() => setOpen(true)} aria-label={t('merchant.refundOf', { id: chargeId.slice(0, 8) })}>
        {t('merchant.refund')}
      </button>
    );
  const submit = async () => {
    const minor = amount.trim() ? parseAmount(amount) : max;
    if (minor === null || minor > max) return setInvalid(t('merchant.refundAmountError'));
    setInvalid(undefined);
    setBusy(true);
    setError(null);
    try {
      await post(`/v1/campus/charges/${chargeId}/refunds`, minor === max ? {} : { amount: minor }, { idempotencyKey: key });
      setKey(newIdempotencyKey());
      setOpen(false);
      onDone();
    } catch (err) {
      setError(err);
      if (needsNewKey(err)) setKey(newIdempotencyKey());
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="refund-form">
      <Field label={t('merchant.refundAmount')} inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} error={invalid} hint={t('merchant.refundHint')} />
      <ErrorNotice error={error} />
      <button type="button" className="small" onClick={() => void submit()} disabled={busy}>
        {t('merchant.confirmRefund')} (<MoneyText amount={max} currency={currency} />)
      </button>
    </div>
  );
}

export default function MerchantConsole() {
  const { t } = useTranslation('operator');
  const { merchantId = '' } = useParams();
  const [date, setDate] = useState(shanghaiToday);
  const valid = /^\d{4}-\d{2}-\d{2}$/.test(date);
  const s = useQuery({
    queryKey: ['operator-merchant', merchantId, date],
    queryFn: () => get<MerchantSettlement>(`/v1/campus/merchants/${merchantId}/settlements?date=${date}`),
    enabled: valid,
  });
  const refunded = new Map<string, number>();
  for (const r of s.data?.refundItems ?? []) refunded.set(r.chargeId, (refunded.get(r.chargeId) ?? 0) + r.amount);
  return (
    <section>
      <ConsoleHeading kind="MERCHANT" orgId={merchantId} />
      <Field label={t('date')} type="date" value={date} onChange={(e) => setDate(e.target.value)} />
      <ErrorNotice error={s.error} />
      {s.isPending && valid ? (
        <Loading />
      ) : s.data ? (
        <>
          <dl className="facts card" data-testid="merchant-settlement">
            <dt>{t('merchant.charges')}</dt>
            <dd>
              {s.data.count} · <MoneyText amount={s.data.total.amount} currency={s.data.currency} />
            </dd>
            <dt>{t('merchant.refunds')}</dt>
            <dd>
              {s.data.refunds.count} · <MoneyText amount={s.data.refunds.amount} currency={s.data.currency} />
            </dd>
            <dt>{t('merchant.net')}</dt>
            <dd>
              <MoneyText amount={s.data.net.amount} currency={s.data.currency} />
            </dd>
          </dl>
          {s.data.items.length === 0 ? (
            <p className="muted">{t('merchant.noCharges')}</p>
          ) : (
            <table className="table">
              <caption>{t('merchant.chargesOf', { date: s.data.date })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t('merchant.time')}</th>
                  <th scope="col">{t('settlements.amount')}</th>
                  <th scope="col">{t('merchant.refunded')}</th>
                  <th scope="col">{t('merchant.action')}</th>
                </tr>
              </thead>
              <tbody>
                {s.data.items.map((c) => {
                  const back = refunded.get(c.id) ?? 0;
                  return (
                    <tr key={c.id} data-testid="merchant-charge">
                      <td>
                        <DateTime iso={c.chargedAt} />
                        {c.mode === 'OFFLINE' && <small className="muted"> · {t('merchant.offline')}</small>}
                      </td>
                      <td>
                        <MoneyText amount={c.amount} currency={s.data.currency} />
                      </td>
                      <td>{back > 0 ? <MoneyText amount={back} currency={s.data.currency} /> : '—'}</td>
                      <td>{back < c.amount && <RefundButton chargeId={c.id} max={c.amount - back} currency={s.data.currency} onDone={() => void s.refetch()} />}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </>
      ) : null}
    </section>
  );
}
