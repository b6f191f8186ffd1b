import type { PaymentProvider, ProviderTrade } from '../provider/payment-provider.js';
import type { PaymentOrder } from './payment-order.js';

/**
 * Why a provider's report (notification or query) cannot be about this
 * order, or undefined when it matches: the merchant id (required of
 * notifications), and for a success the amount and currency.
 */
export function tradeMismatch(order: PaymentOrder, provider: PaymentProvider, trade: ProviderTrade, requireMerchant: boolean): string | undefined {
  if ((requireMerchant || trade.merchantId !== undefined) && trade.merchantId !== provider.merchantId) {
    return `merchant id ${trade.merchantId ?? '(none)'} is not ours`;
  }
  if (trade.status === 'SUCCEEDED') {
    if (trade.amount === undefined || trade.amount !== order.providerAmount) return `amount ${trade.amount} differs from the order's ${order.providerAmount}`;
    if (trade.currency !== undefined && trade.currency !== order.providerCurrency) return `currency ${trade.currency} is not the order's ${order.providerCurrency}`;
  }
  return undefined;
}
