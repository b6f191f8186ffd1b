export { BillingModule } from './billing.module.js';
export * from './billing.errors.js';
export { BillingConfig } from './billing.config.js';
