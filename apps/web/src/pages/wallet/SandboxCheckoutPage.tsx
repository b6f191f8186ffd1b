import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { post } from '../../api/client';
import { ErrorNotice, Loading, MoneyText } from '../../components/ui';
import { useSandboxTrade } from './checkout';

/**
 * The provider's app, played by the sandbox (PAYMENT_PROVIDERS=sandbox): the
 * payer confirms or cancels the trade the QR stands for, and the sandbox
 * sends the platform the provider's signed notification.
 */
export default function SandboxCheckoutPage() {
  const { t } = useTranslation('wallet');
  const { provider = '', tradeId = '' } = useParams();
  const [params] = useSearchParams();
  const back = params.get('return');
  const returnTo = back && back.startsWith('/') && !back.startsWith('//') ? back : '/wallet';
  const queryClient = useQueryClient();
  const trade = useSandboxTrade(provider, tradeId);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const act = async (action: 'pay' | 'fail') => {
    setBusy(true);
    setError(null);
    try {
      await post(`/sandbox/${provider}/trades/${encodeURIComponent(tradeId)}/${action}`, {}, { auth: false });
      await queryClient.invalidateQueries();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const providerName = t(`providers.${provider}`, { defaultValue: provider });
  return (
    <section className={`narrow sandbox sandbox-${provider}`}>
      <p className="sandbox-tag">{t('sandbox.tag')}</p>
      <h1>{t('sandbox.title', { provider: providerName })}</h1>
      {trade.isPending ? (
        <Loading />
      ) : trade.data ? (
        <>
          <p className="big">
            <MoneyText amount={trade.data.amount} currency={trade.data.currency} />
          </p>
          <p className="muted">{t('sandbox.trade', { id: trade.data.providerTradeId })}</p>
          <p role="status" aria-live="polite" data-testid="sandbox-status">
            {t(`sandbox.status.${trade.data.status}`, { defaultValue: trade.data.status })}
          </p>
          {trade.data.status === 'WAITING' ? (
            <div className="actions">
              <button type="button" disabled={busy} onClick={() => void act('pay')}>
                {t('sandbox.pay')}
              </button>
              <button type="button" className="secondary" disabled={busy} onClick={() => void act('fail')}>
                {t('sandbox.fail')}
              </button>
            </div>
          ) : (
            <Link className="button" to={returnTo}>
              {t('sandbox.back')}
            </Link>
          )}
        </>
      ) : null}
      <ErrorNotice error={error ?? trade.error} />
    </section>
  );
}
