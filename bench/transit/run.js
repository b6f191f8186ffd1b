// Bench: tap upload throughput against pgbench on the same PostgreSQL, in one run.
//   1. pgbench -b tpcb-like, 8 clients (the reference: one transaction per payment)
//   2. POST /v1/transit/taps through the real API (HTTP, device signatures, Nest, one
//      transaction per batch): 8 readers each uploading batches of 500 fresh ride codes
//      of their own riders on a FLAT route, each tap a charged trip and a ledger entry.
// Prints taps/s, the ratio to pgbench TPS (goal >= 1.0) and the upload latency p50/p99.
// Usage: npm run bench:transit [-- --seconds 15 --readers 8 --batch 500]
// Uses DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres).
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { benchConfig } from '../support/config.js';
import { createApi } from '../../dist/apps/api/src/bootstrap.js';
import { LedgerService } from '../../dist/libs/ledger/src/index.js';
import { mintOnlineCode, newCodeId } from '../../dist/libs/paycode/src/index.js';
import { RIDE_CODE_KEYS } from '../../dist/libs/transit/src/index.js';
import { dbUrl, pgbenchTps, recreate, server } from '../support/postgres.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '15' }, readers: { type: 'string', default: '8' }, batch: { type: 'string', default: '500' } },
});
const seconds = Number(values.seconds);
const readers = Number(values.readers);
const batch = Number(values.batch);
const RIDERS_PER_READER = 250;
const pgbench = () => pgbenchTps({ clients: readers, seconds });

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

await recreate('citypay_bench_transit');
const ADMIN = { phone: '+8613900000009', password: 'bench-admin-password' };
const config = benchConfig({
  DATABASE_URL: dbUrl('citypay_bench_transit'),
  DB_POOL_SIZE: String(readers + 4),
  ADMIN_PHONE: ADMIN.phone,
  ADMIN_PASSWORD: ADMIN.password,
});
const api = await createApi(config);
await api.app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${api.app.getHttpServer().address().port}`;
const call = async (method, path, body, token) => {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const admin = (await call('POST', '/v1/auth/login', ADMIN)).accessToken;
const org = await call('POST', '/v1/admin/organizations', { name: 'Bench Bus', kind: 'TRANSIT_OPERATOR' }, admin);
const staff = await call('POST', '/v1/auth/register', { phone: '+8613900000019', password: 'bench-staff-password' });
await call('POST', `/v1/organizations/${org.id}/staff`, { phone: '+8613900000019', role: 'ORG_ADMIN' }, admin);
await call('POST', '/v1/transit/routes', { code: 'B1', name: 'Bench 1', fare: { type: 'FLAT', amount: 200, currency: 'CNY' } }, staff.accessToken);
const devices = [];
for (let i = 0; i < readers; i++) devices.push(await call('POST', `/v1/organizations/${org.id}/devices`, { kind: 'BUS_READER', label: `bench ${i}` }, staff.accessToken));

// riders straight into the database (registering 2,000 users through argon2 is not what is measured)
const ds = api.app.get((await import('typeorm')).DataSource);
const ledger = api.app.get(LedgerService);
const system = await ledger.account({ ownerType: 'PLATFORM', ownerId: 'bench', purpose: 'ADJUSTMENTS', currency: 'CNY', allowNegative: true });
const riders = [];
for (let i = 0; i < readers * RIDERS_PER_READER; i++) {
  const userId = randomUUID();
  const wallet = await ledger.account({ ownerType: 'USER', ownerId: userId, purpose: 'WALLET', currency: 'CNY' });
  await ledger.post({ reference: `fund:${userId}`, kind: 'ADJUSTMENT', postings: [{ accountId: system.id, currency: 'CNY', amount: -100_000_000n }, { accountId: wallet.id, currency: 'CNY', amount: 100_000_000n }] });
  const ref = newCodeId();
  // the user row too: notifications and the fare pipeline (birth dates) refer to it
  await ds.query(`INSERT INTO identity.users (id, phone, password_hash) VALUES ($1, $2, 'bench')`, [userId, `+8617${String(i).padStart(9, '0')}`]);
  await ds.query(`INSERT INTO transit.riders (user_id, ref, wallet_account_id) VALUES ($1, $2, $3)`, [userId, ref, wallet.id]);
  riders.push(ref);
}
const signer = await api.app.get(RIDE_CODE_KEYS).signer();

const upload = async (device, taps) => {
  const raw = JSON.stringify({ taps });
  const ts = String(Date.now());
  const sig = createHmac('sha256', device.secret).update(`POST\n/v1/transit/taps\n${ts}\n${createHash('sha256').update(raw).digest('hex')}`).digest('hex');
  const res = await fetch(`${base}/v1/transit/taps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-device-id': device.id, 'x-device-timestamp': ts, 'x-device-signature': sig },
    body: raw,
  });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`taps: ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
  return body.results;
};

const reference = await pgbench();

let taps = 0;
let notCharged = 0;
const latencies = [];
const until = Date.now() + seconds * 1000;
const started = Date.now();
await Promise.all(
  devices.map(async (device, r) => {
    const mine = riders.slice(r * RIDERS_PER_READER, (r + 1) * RIDERS_PER_READER);
    let n = 0;
    while (Date.now() < until) {
      const now = new Date();
      const batchTaps = Array.from({ length: batch }, () => ({
        tapId: randomUUID(),
        code: mintOnlineCode(signer, { use: 'ride', sub: mine[n++ % mine.length], now }).code,
        scannedAt: now.toISOString(),
        routeCode: 'B1',
      }));
      const t0 = performance.now();
      const results = await upload(device, batchTaps);
      latencies.push(performance.now() - t0);
      taps += results.length;
      notCharged += results.filter((x) => x.status !== 'CHARGED').length;
    }
  }),
);
const elapsed = (Date.now() - started) / 1000;
const rate = taps / elapsed;
const [{ trips }] = await ds.query(`SELECT count(*)::int AS trips FROM transit.trips WHERE status = 'CHARGED'`);
const { verifyLedger } = await import('../../dist/libs/ledger/src/index.js');
const report = await verifyLedger(ds);
await api.close();
latencies.sort((a, b) => a - b);

console.log(`transit tap bench: ${readers} readers, batches of ${batch}, ${seconds} s, same PostgreSQL (${new URL(server).host})`);
console.log(`  pgbench tpcb-like, ${readers} clients (reference)  ${reference.toFixed(0).padStart(7)} tps`);
console.log(`  taps uploaded and charged                  ${rate.toFixed(0).padStart(7)} /s   ratio to pgbench ${(rate / reference).toFixed(2)} (goal >= 1.00)`);
console.log(`  upload of one batch: p50 ${pct(latencies, 50).toFixed(0)} ms, p99 ${pct(latencies, 99).toFixed(0)} ms (${latencies.length} batches)`);
console.log(`  taps not CHARGED: ${notCharged}; charged trips in the database: ${trips} (of ${taps} taps); ledger verify ${report.ok ? 'clean' : 'NOT CLEAN'}`);
