export { BillingModule } from './billing.module.js';
export { webhookSignature } from './webhooks.service.js';
export * from './billing.errors.js';
export { BillingConfig } from './billing.config.js';
