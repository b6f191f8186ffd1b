import { ProviderSandbox1763700250000 } from './1763700250000-provider-sandbox.js';
import { SandboxSchema1764500000250 } from './1764500000250-sandbox-schema.js';

export const providerSandboxMigrations = [ProviderSandbox1763700250000, SandboxSchema1764500000250];
