// Bench: ledger throughput against pgbench on the same PostgreSQL, in one run.
//   1. pgbench -b tpcb-like, 32 clients (the reference)
//   2. ledger transfers between random wallets, 32 concurrent clients
//   3. 32 clients all crediting one hot merchant account
// Prints transfers / pgbench (goal >= 0.8) and hot / spread (goal >= 0.8).
// Usage: npm run bench:ledger [-- --seconds 15 --clients 32]
// Uses DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres).
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, runMigrations } from '../../dist/libs/database/src/index.js';
import { LedgerService } from '../../dist/libs/ledger/src/index.js';
import { entities, migrations } from '../../dist/libs/platform/src/index.js';
import { dbUrl, pgbenchTps, recreate, server } from '../support/postgres.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '15' }, clients: { type: 'string', default: '32' } } });
const seconds = Number(values.seconds);
const clients = Number(values.clients);
const pgbench = () => pgbenchTps({ clients, seconds });

/** Runs `work` from `clients` concurrent loops for `seconds`; returns completed operations per second. */
async function drive(work) {
  let done = 0;
  let failed = 0;
  const until = Date.now() + seconds * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < until) {
        try {
          await work();
          done++;
        } catch {
          failed++;
        }
      }
    }),
  );
  if (failed > 0) console.log(`  (${failed} operations failed)`);
  return done / ((Date.now() - started) / 1000);
}

await recreate('citypay_bench_ledger');
const ds = await new DataSource(
  buildDataSourceOptions({ url: dbUrl('citypay_bench_ledger'), poolSize: clients + 2, statementTimeoutMs: 0, applicationName: 'bench-ledger', migrations, entities }),
).initialize();
await runMigrations(ds);
const ledger = new LedgerService(ds);

const system = await ledger.account({ ownerType: 'PLATFORM', ownerId: 'bench', purpose: 'ADJUSTMENTS', currency: 'CNY', allowNegative: true });
const wallets = [];
for (let i = 0; i < 2000; i++) {
  const w = await ledger.account({ ownerType: 'USER', ownerId: randomUUID(), purpose: 'WALLET', currency: 'CNY' });
  await ledger.post({
    reference: `fund:${w.id}`,
    kind: 'ADJUSTMENT',
    postings: [
      { accountId: system.id, currency: 'CNY', amount: -10_000_000n },
      { accountId: w.id, currency: 'CNY', amount: 10_000_000n },
    ],
  });
  wallets.push(w);
}
const merchant = await ledger.account({ ownerType: 'ORGANIZATION', ownerId: 'canteen', purpose: 'RECEIVABLE', currency: 'CNY', hot: true });
const pick = () => wallets[Math.floor(Math.random() * wallets.length)];
const move = (from, to) =>
  ledger.post({
    reference: randomUUID(),
    kind: 'TRANSFER',
    postings: [
      { accountId: from.id, currency: 'CNY', amount: -1n },
      { accountId: to.id, currency: 'CNY', amount: 1n },
    ],
  });

const reference = await pgbench();
const spread = await drive(() => {
  const a = pick();
  let b = pick();
  while (b === a) b = pick();
  return move(a, b);
});
const hot = await drive(() => move(pick(), merchant));
const balance = await ledger.balance(merchant.id);
await ds.destroy();

console.log(`ledger bench: ${clients} clients, ${seconds} s each, same PostgreSQL (${new URL(server).host})`);
console.log(`  pgbench tpcb-like (reference)        ${reference.toFixed(0).padStart(7)} tps`);
console.log(`  transfers between random wallets     ${spread.toFixed(0).padStart(7)} /s   ratio to pgbench ${(spread / reference).toFixed(2)} (goal >= 0.80)`);
console.log(`  credits to one hot merchant account  ${hot.toFixed(0).padStart(7)} /s   ratio to spread  ${(hot / spread).toFixed(2)} (goal >= 0.80)`);
console.log(`  hot account balance after the run: ${balance.amount} fen (exact, queued credits included)`);
