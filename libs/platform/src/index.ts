export { migrations } from './schema.js';
export { PlatformModule } from './platform.module.js';
export { loadProviderCredentials } from './provider-credentials.js';
