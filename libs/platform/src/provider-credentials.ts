import { readFileSync } from 'node:fs';
import type { PaymentsConfig, ProviderCredentials } from '@app/payments';
import type { SandboxKeysService } from '@app/provider-sandbox';

/**
 * The providers' merchant credentials: from PAYMENT_CREDENTIALS_FILE in live
 * mode; in sandbox mode, the accounts the sandbox gateways opened for us on
 * first start (kept in PostgreSQL).
 */
export async function loadProviderCredentials(config: PaymentsConfig, sandbox?: SandboxKeysService): Promise<ProviderCredentials> {
  if (config.PAYMENT_PROVIDERS === 'sandbox') {
    if (!sandbox) throw new Error('PAYMENT_PROVIDERS=sandbox needs the provider sandbox');
    return (await sandbox.merchantCredentials()) as ProviderCredentials;
  }
  const file = config.PAYMENT_CREDENTIALS_FILE!;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`PAYMENT_CREDENTIALS_FILE ${file} is not readable JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!parsed || typeof parsed !== 'object') throw new Error(`PAYMENT_CREDENTIALS_FILE ${file} must hold an object keyed by provider code`);
  return parsed as ProviderCredentials;
}
