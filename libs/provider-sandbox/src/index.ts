export { ProviderSandboxModule, createSandboxGateways } from './provider-sandbox.module.js';
export { SandboxKeysService } from './sandbox-keys.service.js';
export { SANDBOX_PROVIDERS, SANDBOX_SLUGS } from './sandbox.types.js';
export type { SandboxProvider } from './sandbox.types.js';
