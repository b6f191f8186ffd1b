import { Billing1763700400000 } from './1763700400000-billing.js';

export const billingMigrations = [Billing1763700400000];
