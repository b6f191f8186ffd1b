import { Payments1763700300000 } from './1763700300000-payments.js';

export const paymentsMigrations = [Payments1763700300000];
