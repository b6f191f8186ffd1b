// Bench: the morning peak. 2,000 riders board within a minute on 50 bus readers (the real
// reader code, apps/reader, in this process); 10% of the readers are offline for a while
// (default 10 minutes), then upload what they queued. Prints the p99 of the readers' local
// decision (verify offline + durable append), the p99 of an upload, and checks that every
// rider was charged exactly once (trips, ledger postings, ledger verify).
// Usage: npm run build && node bench/transit/peak.js [-- --riders 2000 --readers 50 --offline-seconds 600]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { benchConfig } from '../support/config.js';
import { createApi } from '../../dist/apps/api/src/bootstrap.js';
import { Reader } from '../../dist/apps/reader/src/reader.js';
import { LedgerService, verifyLedger } from '../../dist/libs/ledger/src/index.js';
import { mintOnlineCode, newCodeId } from '../../dist/libs/paycode/src/index.js';
import { RIDE_CODE_KEYS } from '../../dist/libs/transit/src/index.js';

const { values } = parseArgs({
  options: { riders: { type: 'string', default: '2000' }, readers: { type: 'string', default: '50' }, 'offline-seconds': { type: 'string', default: '600' }, 'board-seconds': { type: 'string', default: '60' } },
});
const RIDERS = Number(values.riders);
const READERS = Number(values.readers);
const OFFLINE_MS = Number(values['offline-seconds']) * 1000;
const BOARD_MS = Number(values['board-seconds']) * 1000;
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbUrl = (name) => Object.assign(new URL(server), { pathname: `/${name}` }).toString();
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

const admin0 = new pg.Client({ connectionString: server });
await admin0.connect();
await admin0.query(`DROP DATABASE IF EXISTS citypay_bench_peak WITH (FORCE)`);
await admin0.query(`CREATE DATABASE citypay_bench_peak`);
await admin0.end();

const ADMIN = { phone: '+8613900000008', password: 'bench-admin-password' };
const config = benchConfig({
  DATABASE_URL: dbUrl('citypay_bench_peak'),
  DB_POOL_SIZE: '20',
  ADMIN_PHONE: ADMIN.phone,
  ADMIN_PASSWORD: ADMIN.password,
});
const api = await createApi(config);
await api.app.listen({ port: 0, host: '127.0.0.1' });
const base = `http://127.0.0.1:${api.app.getHttpServer().address().port}`;
const call = async (method, path, body, token) => {
  const res = await fetch(base + path, { method, headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const admin = (await call('POST', '/v1/auth/login', ADMIN)).accessToken;
const org = await call('POST', '/v1/admin/organizations', { name: 'Peak Bus', kind: 'TRANSIT_OPERATOR' }, admin);
const staff = await call('POST', '/v1/auth/register', { phone: '+8613900000018', password: 'bench-staff-password' });
await call('POST', `/v1/organizations/${org.id}/staff`, { phone: '+8613900000018', role: 'ORG_ADMIN' }, admin);
await call('POST', '/v1/transit/routes', { code: 'P1', name: 'Peak 1', fare: { type: 'FLAT', amount: 200, currency: 'CNY' } }, staff.accessToken);

const ds = api.app.get(DataSource);
const ledger = api.app.get(LedgerService);
const system = await ledger.account({ ownerType: 'PLATFORM', ownerId: 'bench', purpose: 'ADJUSTMENTS', currency: 'CNY', allowNegative: true });
const riders = [];
for (let i = 0; i < RIDERS; i++) {
  const userId = randomUUID();
  const wallet = await ledger.account({ ownerType: 'USER', ownerId: userId, purpose: 'WALLET', currency: 'CNY' });
  await ledger.post({ reference: `fund:${userId}`, kind: 'ADJUSTMENT', postings: [{ accountId: system.id, currency: 'CNY', amount: -10_000n }, { accountId: wallet.id, currency: 'CNY', amount: 10_000n }] });
  const ref = newCodeId();
  // the user row too: notifications and the fare pipeline (birth dates) refer to it
  await ds.query(`INSERT INTO identity.users (id, phone, password_hash) VALUES ($1, $2, 'bench')`, [userId, `+8617${String(i).padStart(9, '0')}`]);
  await ds.query(`INSERT INTO transit.riders (user_id, ref, wallet_account_id) VALUES ($1, $2, $3)`, [userId, ref, wallet.id]);
  riders.push(ref);
}
const signer = await api.app.get(RIDE_CODE_KEYS).signer();

const state = mkdtempSync(join(tmpdir(), 'peak-'));
const offlineCount = Math.round(READERS / 10);
let networkUp = false; // the offline readers' network
const uploads = [];
const readers = [];
for (let i = 0; i < READERS; i++) {
  const d = await call('POST', `/v1/organizations/${org.id}/devices`, { kind: 'BUS_READER', label: `peak ${i}` }, staff.accessToken);
  const offline = i < offlineCount;
  const netFetch = (url, init) => (offline && !networkUp ? Promise.reject(new Error('network down')) : fetch(url, init));
  const options = { server: base, deviceId: d.id, deviceSecret: d.secret, routeCode: 'P1', stateDir: join(state, String(i)), batchSize: 500 };
  // every reader synced once (keys and blocklist cached); then the offline ones lose the network
  const setup = new Reader(options);
  await setup.refresh();
  setup.queue.close();
  readers.push({ reader: new Reader({ ...options, fetch: netFetch }), offline });
}

const decisions = [];
let refused = 0;
const uploadLoop = async ({ reader }, stop) => {
  while (!stop()) {
    if (reader.queue.size > 0) {
      const t0 = performance.now();
      try {
        await reader.upload();
        uploads.push(performance.now() - t0);
      } catch {
        // offline: try again later
      }
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
};
let allDone = false;
const loops = readers.map((r) => uploadLoop(r, () => allDone));
const started = Date.now();
// riders arrive evenly over the boarding window, each at a random reader, showing a fresh code
for (let i = 0; i < RIDERS; i++) {
  const due = started + (i * BOARD_MS) / RIDERS;
  const wait = due - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const code = mintOnlineCode(signer, { use: 'ride', sub: riders[i], now: new Date() }).code;
  const { reader } = readers[i % READERS];
  const d = reader.scan({ code });
  decisions.push(d.ms);
  if (d.decision !== 'BOARD') refused++;
}
const offlineUntil = started + OFFLINE_MS;
while (Date.now() < offlineUntil) await new Promise((r) => setTimeout(r, 500));
networkUp = true;
const upT0 = Date.now();
while (readers.some((r) => r.reader.queue.size > 0)) await new Promise((r) => setTimeout(r, 200));
const drainMs = Date.now() - upT0;
allDone = true;
await Promise.all(loops);

const [{ trips, ridersCharged, dup }] = await ds.query(
  `SELECT count(*)::int AS trips, count(DISTINCT rider_user_id)::int AS "ridersCharged",
          (SELECT count(*)::int FROM (SELECT rider_user_id FROM transit.trips GROUP BY rider_user_id HAVING count(*) > 1) x) AS dup
     FROM transit.trips WHERE status = 'CHARGED'`,
);
const report = await verifyLedger(ds);
await api.close();
for (const { reader } of readers) reader.queue.close();
rmSync(state, { recursive: true, force: true });

console.log(`transit morning peak: ${RIDERS} riders in ${BOARD_MS / 1000} s on ${READERS} readers, ${offlineCount} offline for ${OFFLINE_MS / 1000} s`);
console.log(`  reader local decision (verify + fsync'd append): p50 ${pct(decisions, 50).toFixed(2)} ms, p99 ${pct(decisions, 99).toFixed(2)} ms, max ${Math.max(...decisions).toFixed(2)} ms; refused ${refused}`);
console.log(`  uploads: ${uploads.length}, p50 ${pct(uploads, 50).toFixed(0)} ms, p99 ${pct(uploads, 99).toFixed(0)} ms; offline readers drained ${drainMs} ms after the network came back`);
console.log(`  charged trips ${trips}, riders charged ${ridersCharged} of ${RIDERS}, riders charged more than once ${dup}; ledger verify ${report.ok ? 'clean' : 'NOT CLEAN'}`);
process.exit(0);
