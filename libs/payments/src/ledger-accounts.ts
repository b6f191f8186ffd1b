import type { EntityManager } from 'typeorm';
import type { Currency } from '@app/common';
import type { LedgerAccount, LedgerService, PostingInput } from '@app/ledger';
import type { PaymentOrder } from './orders/payment-order.js';

/**
 * The payment layer's ledger accounts: each provider's clearing account (what
 * it owes us until it settles; hot: every capture credits it), the platform's
 * FX position (both legs of a converted payment), and the suspense account
 * holding captured money that must go back to its payer.
 */
const clearingAccount = (ledger: LedgerService, order: PaymentOrder, m: EntityManager): Promise<LedgerAccount> =>
  ledger.account({ ownerType: 'PROVIDER', ownerId: order.provider, purpose: 'CLEARING', currency: order.providerCurrency, allowNegative: true, hot: true }, m);

export const suspenseAccount = (ledger: LedgerService, currency: Currency, m: EntityManager): Promise<LedgerAccount> =>
  ledger.account({ ownerType: 'PLATFORM', ownerId: 'platform', purpose: 'PAYMENTS_TO_RETURN', currency }, m);

/**
 * Postings moving `amount` (order currency) from the provider's clearing
 * account (`providerAmount`, provider currency) to `account`; a negative
 * amount moves it back. Converted orders pass through the FX position so that
 * each currency balances.
 */
export async function clearingPostings(
  ledger: LedgerService,
  order: PaymentOrder,
  accountId: string,
  amount: bigint,
  providerAmount: bigint,
  m: EntityManager,
): Promise<PostingInput[]> {
  const clearing = await clearingAccount(ledger, order, m);
  const postings: PostingInput[] = [{ accountId: clearing.id, currency: order.providerCurrency, amount: -providerAmount }];
  if (order.providerCurrency !== order.currency) {
    const fx = (c: Currency) => ledger.account({ ownerType: 'PLATFORM', ownerId: 'platform', purpose: 'FX_POSITION', currency: c, allowNegative: true }, m);
    postings.push(
      { accountId: (await fx(order.providerCurrency)).id, currency: order.providerCurrency, amount: providerAmount },
      { accountId: (await fx(order.currency)).id, currency: order.currency, amount: -amount },
    );
  }
  postings.push({ accountId, currency: order.currency, amount });
  return postings;
}
