import { DataSource } from 'typeorm';
import { loadConfigFromEnvironment } from '@app/config';
import { createRootLogger } from '@app/common';
import { buildDataSourceOptions, resolveDatabase } from '@app/database';
import { verifyLedger } from '@app/ledger';
import { migrations } from '@app/platform';

/**
 * `npm run ledger:verify`: recomputes every balance from its postings and
 * checks that each currency sums to zero; prints any drift and exits 1 if
 * the ledger does not add up.
 */
async function main(): Promise<void> {
  const config = loadConfigFromEnvironment();
  const log = createRootLogger({ level: 'warn', pretty: false, service: `${config.SERVICE_NAME}-verify` });
  const database = await resolveDatabase(config, { info: () => undefined, warn: (m) => log.warn(m), debug: () => undefined });
  const dataSource = new DataSource(
    buildDataSourceOptions({ url: database.url, poolSize: 2, statementTimeoutMs: 0, applicationName: `${config.SERVICE_NAME}-verify`, migrations }),
  );
  let ok: boolean;
  try {
    await dataSource.initialize();
    const report = await verifyLedger(dataSource);
    ok = report.ok;
    process.stdout.write(`ledger: ${report.accounts} accounts, ${report.entries} journal entries\n`);
    for (const t of report.currencyTotals) process.stdout.write(`  ${t.currency}: postings sum to ${t.total}${t.total === '0' ? '' : '  <-- MUST BE 0'}\n`);
    for (const d of report.drift) process.stdout.write(`  DRIFT account ${d.accountId}: stored ${d.stored}, postings ${d.computed}\n`);
    for (const n of report.negative) process.stdout.write(`  NEGATIVE account ${n.accountId}: ${n.balance}\n`);
    for (const u of report.unbalanced) process.stdout.write(`  UNBALANCED entry ${u.entryId}: ${u.currency} ${u.total}\n`);
    process.stdout.write(ok ? 'ledger: OK, money adds up\n' : 'ledger: FAILED\n');
  } finally {
    await dataSource.destroy().catch(() => undefined);
    await database.stop();
  }
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`ledger:verify failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
