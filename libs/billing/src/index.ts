export { BillingModule } from './billing.module.js';
export { billingMigrations } from './migrations/index.js';
export { webhookSignature } from './webhooks.service.js';
export * from './billing.errors.js';
