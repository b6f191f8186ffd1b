import { Logger } from '@nestjs/common';
import { PaymentProviders, PlatformAddress, ReconciliationService } from '@app/payments';
import { loadPlatformConfig, loadProviderCredentials } from '@app/platform';
import { createSandboxGateways, SandboxKeysService } from '@app/provider-sandbox';
import { withDatabase } from './with-database.js';

/**
 * `npm run reconcile -- --date YYYY-MM-DD`: compares every capture and refund
 * of that Asia/Shanghai day with each provider's settlement file, stores the
 * mismatches (as the daily job does) and prints them. Exit 1 if any.
 * In sandbox mode the gateways are those of the running API (PUBLIC_BASE_URL,
 * else 127.0.0.1:PORT).
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--date');
  const date = at >= 0 ? args[at + 1] : args.find((a) => a.startsWith('--date='))?.slice('--date='.length);
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) {
    process.stderr.write('usage: npm run reconcile -- --date YYYY-MM-DD\n');
    process.exit(64);
  }
  const config = loadPlatformConfig();
  // what goes wrong per provider is in the report below: no stack traces on top of it
  Logger.overrideLogger(false);
  if (config.PAYMENT_PROVIDERS === 'sandbox') {
    // the sandbox gateways (and their settlement files) are served by the running API
    const base = new PlatformAddress(config, config).baseUrl();
    const reachable = await fetch(`${base}/health/live`, { signal: AbortSignal.timeout(3_000) }).then(
      (r) => r.status < 500,
      () => false,
    );
    if (!reachable) {
      process.stderr.write(
        `reconcile: no City Pay API answers at ${base}, and in sandbox mode the providers' settlement files come from the sandbox gateways it serves: start it (npm start) first, or set PUBLIC_BASE_URL to where it runs.\n`,
      );
      process.exit(2);
    }
  }
  const clean = await withDatabase(
    'reconcile',
    async (dataSource) => {
      const keys = config.PAYMENT_PROVIDERS === 'sandbox' ? new SandboxKeysService(dataSource, createSandboxGateways()) : undefined;
      const address = new PlatformAddress(config, config);
      const providers = new PaymentProviders(() => loadProviderCredentials(config, keys), (url) => address.resolve(url));
      const report = await new ReconciliationService(dataSource, providers).run(date);
      process.stdout.write(`reconciliation of ${report.date} (${report.timeZone})\n`);
      for (const r of report.runs) {
        process.stdout.write(`  ${r.provider}: platform ${r.platformRows} rows, provider ${r.providerRows} rows, ${r.mismatches} mismatches${r.error ? `, ERROR ${r.error}` : ''}\n`);
      }
      for (const m of report.mismatches) {
        process.stdout.write(
          `  ${m.kind} ${m.provider} ${m.entryType} ${m.outTradeNo}${m.outRefundNo ? `/${m.outRefundNo}` : ''}: platform ${m.platformAmount ?? '-'} provider ${m.providerAmount ?? '-'} ${m.currency}\n`,
        );
      }
      return report.mismatches.length === 0 && report.runs.every((r) => !r.error);
    },
    { quiet: true },
  );
  process.exit(clean ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`reconcile failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
