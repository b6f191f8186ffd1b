export { CONTEXTS, CONFIG_SECTIONS, migrations, entities, validatePlatformConfig, loadPlatformConfig, platformConfigDefaults } from './contexts.js';
export type { ContextModule, PlatformConfig } from './contexts.js';
export { PlatformModule } from './platform.module.js';
export { loadProviderCredentials } from './provider-credentials.js';
