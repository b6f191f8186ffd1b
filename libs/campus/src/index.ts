export { CampusModule } from './campus.module.js';
export { MERCHANT_CATEGORIES } from './campus-profiles.js';
export * from './campus.errors.js';
export { CampusCodeKeys } from './code-keys.js';
export { SubsidiesService } from './subsidies.service.js';
export { nameKey, splitRefund, splitSubsidy } from './domain/purses.js';
