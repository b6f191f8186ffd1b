import { Payments1763700300000 } from './1763700300000-payments.js';
import { PaymentsSchema1764500000300 } from './1764500000300-payments-schema.js';

export const paymentsMigrations = [Payments1763700300000, PaymentsSchema1764500000300];
