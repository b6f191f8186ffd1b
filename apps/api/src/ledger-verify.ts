import { verifyLedger } from '@app/ledger';
import { withDatabase } from './with-database.js';

/**
 * `npm run ledger:verify`: recomputes every balance from its postings and
 * checks that each currency sums to zero; prints any drift and exits 1 if
 * the ledger does not add up.
 */
async function main(): Promise<void> {
  const ok = await withDatabase(
    'verify',
    async (dataSource) => {
      const report = await verifyLedger(dataSource);
      process.stdout.write(`ledger: ${report.accounts} accounts, ${report.entries} journal entries\n`);
      for (const t of report.currencyTotals) process.stdout.write(`  ${t.currency}: postings sum to ${t.total}${t.total === '0' ? '' : '  <-- MUST BE 0'}\n`);
      for (const d of report.drift) process.stdout.write(`  DRIFT account ${d.accountId}: stored ${d.stored}, postings ${d.computed}\n`);
      for (const n of report.negative) process.stdout.write(`  NEGATIVE account ${n.accountId}: ${n.balance}\n`);
      for (const u of report.unbalanced) process.stdout.write(`  UNBALANCED entry ${u.entryId}: ${u.currency} ${u.total}\n`);
      process.stdout.write(report.ok ? 'ledger: OK, money adds up\n' : 'ledger: FAILED\n');
      return report.ok;
    },
    { quiet: true },
  );
  process.exit(ok ? 0 : 1);
}

main().catch((err: unknown) => {
  process.stderr.write(`ledger:verify failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
