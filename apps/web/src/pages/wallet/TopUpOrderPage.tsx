import { Link, useParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { useEffect } from 'react';
import { ErrorNotice, Loading, MoneyText } from '../../components/ui';
import { CheckoutPanel } from './CheckoutPanel';
import { recallCheckout, usePaymentOrder } from './checkout';

export default function TopUpOrderPage() {
  const { t } = useTranslation('wallet');
  const { orderId = '' } = useParams();
  const queryClient = useQueryClient();
  const order = usePaymentOrder(orderId);
  const status = order.data?.status;
  useEffect(() => {
    if (status === 'SUCCEEDED') void queryClient.invalidateQueries({ queryKey: ['wallet'] });
  }, [status, queryClient]);
  if (order.isPending) return <Loading />;
  if (!order.data) return <ErrorNotice error={order.error} />;
  const o = order.data;
  // the order carries its checkout while pending (another tab or device can show it); else the one kept at creation
  const checkout = o.checkout ?? recallCheckout(orderId);
  return (
    <section className="narrow">
      <h1>{t('order.title')}</h1>
      <p className="big">
        <MoneyText amount={o.amount} currency={o.currency} />
      </p>
      {o.providerAmount && (
        <p data-testid="provider-amount">
          {t('order.providerAmount')} <MoneyText amount={o.providerAmount.amount} currency={o.providerAmount.currency} />{' '}
          {t('order.rate', { rate: o.providerAmount.rate })}
        </p>
      )}
      <p role="status" aria-live="polite" className={`status status-${o.status}`} data-testid="order-status">
        {t(`order.status.${o.status}`)}
      </p>
      {o.status === 'PENDING' && checkout && <CheckoutPanel provider={o.provider} checkout={checkout} returnTo={`/wallet/top-ups/${o.id}`} />}
      {o.status !== 'PENDING' && (
        <Link className="button" to="/wallet">
          {t('order.backToWallet')}
        </Link>
      )}
    </section>
  );
}
