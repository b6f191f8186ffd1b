import { ProviderSandbox1763700250000 } from './1763700250000-provider-sandbox.js';

export const providerSandboxMigrations = [ProviderSandbox1763700250000];
