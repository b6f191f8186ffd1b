import { Link } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { Checkout, Provider } from '../../api/types';
import { QrCode } from '../../components/QrCode';
import { useSandboxTrade } from './checkout';

/** What a provider payment shows: the provider's QR (or its cashier link), and the sandbox's checkout in sandbox mode. */
export function CheckoutPanel({ provider, checkout, returnTo }: { provider: Provider; checkout: Checkout; returnTo: string }) {
  const { t } = useTranslation('wallet');
  const sandbox = useSandboxTrade(provider, checkout.providerTradeId);
  return (
    <div className="card checkout">
      <h2>{t('checkout.scanWith', { provider: t(`providers.${provider}`) })}</h2>
      {checkout.qrPayload ? (
        <QrCode payload={checkout.qrPayload} label={t('checkout.qrLabel', { provider: t(`providers.${provider}`) })} />
      ) : null}
      {checkout.redirectUrl && (
        <p>
          <a href={checkout.redirectUrl} rel="noopener noreferrer">
            {t('checkout.openCashier')}
          </a>
        </p>
      )}
      <p className="muted">{t('checkout.waiting')}</p>
      {sandbox.isSuccess && (
        <p className="notice">
          {t('checkout.sandboxMode')}{' '}
          <Link to={`/sandbox-checkout/${provider}/${encodeURIComponent(checkout.providerTradeId)}?return=${encodeURIComponent(returnTo)}`}>
            {t('checkout.openSandbox')}
          </Link>
        </p>
      )}
    </div>
  );
}
