import { Link, useParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { get } from '../../api/client';
import type { BillPayment } from '../../api/types';
import { DateTime, ErrorNotice, Loading, MoneyText } from '../../components/ui';

export default function ReceiptPage() {
  const { t } = useTranslation('bills');
  const { paymentId = '' } = useParams();
  const payment = useQuery({
    queryKey: ['bill-payment', paymentId],
    queryFn: () => get<BillPayment>(`/v1/payments/${encodeURIComponent(paymentId)}`),
    refetchInterval: (q) => (q.state.data?.status === 'PENDING' ? 2000 : false),
  });
  if (payment.isPending) return <Loading />;
  if (!payment.data) return <ErrorNotice error={payment.error} />;
  const p = payment.data;
  const r = p.receipt;
  return (
    <section className="narrow">
      <h1>{r ? t('receipt.title') : t('payTitle')}</h1>
      <p role="status" className={`status status-${p.status}`} data-testid="payment-status">
        {t(`paymentStatus.${p.status}`, { defaultValue: p.status })}
      </p>
      {r && (
        <dl className="facts receipt">
          <dt>{t('receipt.number')}</dt>
          <dd data-testid="receipt-no">{r.receiptNo}</dd>
          <dt>{t('biller')}</dt>
          <dd>{r.billerName}</dd>
          <dt>{t('customerRef')}</dt>
          <dd>{r.customerRef}</dd>
          <dt>{t('periodLabel')}</dt>
          <dd>{r.period}</dd>
          <dt>{t('receipt.amount')}</dt>
          <dd>
            <MoneyText amount={r.amount} currency={r.currency} />
          </dd>
          <dt>{t('receipt.paidAt')}</dt>
          <dd>
            <DateTime iso={r.paidAt} />
          </dd>
          <dt>{t('method')}</dt>
          <dd>{p.method === 'WALLET' ? t('byWallet') : t(`wallet:providers.${p.method}`)}</dd>
        </dl>
      )}
      <Link className="button secondary" to="/bills">
        {t('backToBills')}
      </Link>
    </section>
  );
}
