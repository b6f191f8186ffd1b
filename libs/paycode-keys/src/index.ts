export { PaycodeKeysModule } from './paycode-keys.module.js';
export { keySetsAt, PaycodeKeysService, RETIRED_KEY_PUBLISH_SECONDS } from './paycode-keys.service.js';
export type { PaycodeKeysJwks } from './paycode-keys.service.js';
export { paycodeKeysMigrations } from './migrations/index.js';
export { PaycodeKeysConfig } from './paycode-keys.config.js';
