export { CampusModule } from './campus.module.js';
export { MERCHANT_CATEGORIES } from './campus-profiles.js';
export * from './campus.errors.js';
