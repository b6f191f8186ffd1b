import { Billing1763700400000 } from './1763700400000-billing.js';
import { BillingSchema1764500000400 } from './1764500000400-billing-schema.js';

export const billingMigrations = [Billing1763700400000, BillingSchema1764500000400];
