import { Inject, Injectable, Logger } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { sqlState } from '@app/database';
import { SANDBOX_GATEWAYS } from './sandbox.types.js';
import type { GatewaySecrets, KeyPair, SandboxGateway, SandboxProvider } from './sandbox.types.js';

const generate = promisify(generateKeyPair);

async function newKeyPair(): Promise<KeyPair> {
  const { publicKey, privateKey } = await generate('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey, privateKey };
}

/**
 * The merchant accounts the sandbox gateways issue: on first start each
 * gateway provisions its key pairs and ids (kept in PostgreSQL, so every
 * replica and restart shares them; never committed anywhere). The merchant
 * half is what the platform is configured with in sandbox mode.
 */
@Injectable()
export class SandboxKeysService implements OnApplicationBootstrap {
  private readonly logger = new Logger('ProviderSandbox');
  private loaded?: Promise<Map<SandboxProvider, { merchant: Record<string, unknown>; gateway: GatewaySecrets }>>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SANDBOX_GATEWAYS) private readonly gateways: SandboxGateway[],
  ) {}

  /**
   * Opens (or loads) the accounts before the server takes requests: key
   * generation (ten RSA key pairs and a certificate chain on a first start)
   * must not run inside the first payment's request, whose order lifetime
   * is already counting.
   */
  async onApplicationBootstrap(): Promise<void> {
    try {
      await this.accounts();
    } catch (err) {
      // a start with MIGRATIONS_RUN=false before `npm run db:migrate`: the accounts are opened on first use
      if (sqlState(err) !== '42P01') throw err;
      this.logger.warn('sandbox.sandbox_merchants does not exist yet (migrations pending): the sandbox accounts are opened on first use');
    }
  }

  /** Every gateway's merchant account, provisioned if absent (concurrent starts agree on one). */
  accounts(): Promise<Map<SandboxProvider, { merchant: Record<string, unknown>; gateway: GatewaySecrets }>> {
    this.loaded ??= this.load();
    this.loaded.catch(() => (this.loaded = undefined));
    return this.loaded;
  }

  async merchantCredentials(): Promise<Record<string, Record<string, unknown>>> {
    const accounts = await this.accounts();
    const gateway = (provider: SandboxProvider) => this.gateways.find((g) => g.provider === provider);
    return Object.fromEntries(
      [...accounts].map(([provider, a]) => [provider, gateway(provider)?.merchantCredentials?.(a.merchant, a.gateway) ?? a.merchant]),
    );
  }

  async gatewaySecrets(provider: SandboxProvider): Promise<GatewaySecrets> {
    const account = (await this.accounts()).get(provider);
    if (!account) throw new Error(`no sandbox account for ${provider}`);
    return account.gateway;
  }

  private async load(): Promise<Map<SandboxProvider, { merchant: Record<string, unknown>; gateway: GatewaySecrets }>> {
    const existing = new Map(
      ((await this.dataSource.query(`SELECT provider, gateway FROM sandbox.sandbox_merchants`)) as { provider: string; gateway: GatewaySecrets }[]).map((r) => [
        r.provider,
        r.gateway,
      ]),
    );
    const missing = this.gateways.filter((g) => !existing.has(g.provider) || g.outdated?.(existing.get(g.provider)!));
    if (missing.length > 0) {
      const started = Date.now();
      const accounts = await Promise.all(missing.map(async (g) => ({ provider: g.provider, ...(await g.provision(newKeyPair)) })));
      for (const a of accounts) {
        const old = existing.get(a.provider);
        // an outdated account is replaced only if still the one read (concurrent starts agree on one)
        await this.dataSource.query(
          `INSERT INTO sandbox.sandbox_merchants AS m (provider, merchant, gateway) VALUES ($1, $2, $3)
           ON CONFLICT (provider) DO UPDATE SET merchant = EXCLUDED.merchant, gateway = EXCLUDED.gateway
           WHERE m.gateway = $4::jsonb`,
          [a.provider, JSON.stringify(a.merchant), JSON.stringify(a.gateway), old === undefined ? null : JSON.stringify(old)],
        );
      }
      this.logger.log(`sandbox merchant accounts opened for ${missing.map((g) => g.provider).join(', ')} (${Date.now() - started} ms)`);
    }
    const rows = (await this.dataSource.query(`SELECT provider, merchant, gateway FROM sandbox.sandbox_merchants`)) as {
      provider: SandboxProvider;
      merchant: Record<string, unknown>;
      gateway: GatewaySecrets;
    }[];
    return new Map(rows.map((r) => [r.provider, { merchant: r.merchant, gateway: r.gateway }]));
  }
}
