export { DATA_CONTEXTS, migrations } from './contexts.js';
export { PlatformModule } from './platform.module.js';
export { loadProviderCredentials } from './provider-credentials.js';
