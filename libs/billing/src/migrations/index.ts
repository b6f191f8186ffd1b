import { Billing1763700400000 } from './1763700400000-billing.js';
import { BillingSchema1764500000400 } from './1764500000400-billing-schema.js';
import { PayFromWallet1764700100200 } from './1764700100200-pay-from-wallet.js';
import { PayFromWalletResponse1764800200100 } from './1764800200100-pay-from-wallet-response.js';
import { WebhooksToOutbox1764800300100 } from './1764800300100-webhooks-to-outbox.js';
import { BillPaidEnqueued1764800500300 } from './1764800500300-bill-paid-enqueued.js';
import { PayFromWalletWebhook1764800500400 } from './1764800500400-pay-from-wallet-webhook.js';
import { BillingFunctionsPlanCached1764900100200 } from './1764900100200-billing-functions-plan-cached.js';
import { BillPaidFromThePayment1764900100300 } from './1764900100300-bill-paid-from-the-payment.js';
import { PayFromWalletBatch1764900600100 } from './1764900600100-pay-from-wallet-batch.js';
import { PayFromWalletFewerStatements1764900600300 } from './1764900600300-pay-from-wallet-fewer-statements.js';
import { PayFromWalletSetWise1764900700100 } from './1764900700100-pay-from-wallet-set-wise.js';
import { PayFromWalletClaimsKeys1764900700400 } from './1764900700400-pay-from-wallet-claims-keys.js';

export const billingMigrations = [
  Billing1763700400000,
  BillingSchema1764500000400,
  PayFromWallet1764700100200,
  PayFromWalletResponse1764800200100,
  WebhooksToOutbox1764800300100,
  BillPaidEnqueued1764800500300,
  PayFromWalletWebhook1764800500400,
  BillingFunctionsPlanCached1764900100200,
  BillPaidFromThePayment1764900100300,
  PayFromWalletBatch1764900600100,
  PayFromWalletFewerStatements1764900600300,
  PayFromWalletSetWise1764900700100,
  PayFromWalletClaimsKeys1764900700400,
];
