// Bench: the canteen at noon, against pgbench on the same PostgreSQL, in one run.
//   1. pgbench -b tpcb-like (the reference), same client count
//   2. 64 POS clients charging 64 canteens (one each): "spread"
//   3. 64 POS clients all charging ONE canteen: "hot" (its receivable is a hot ledger account)
// Each client charges its own students' cards (no card contention: what is measured is the merchant).
// A charge is the whole use case of POST /v1/campus/charges in-process (code verification, card row
// lock, single use, daily limit, purse split, one balanced ledger entry); setup goes through the HTTP API.
// Prints hot / spread (goal >= 0.8) and charges/s / pgbench TPS (goal >= 0.5).
// Before the measured phases, --warmup seconds of charges (not measured): every pooled connection has then
// compiled the charge's PL/pgSQL and cached its plans, and V8 has optimised the charge path, as in a server
// that has been up for more than a few seconds (otherwise the first phase, spread, pays all of it).
// Usage: npm run bench:campus [-- --seconds 10 --clients 64 --warmup 3]
// Uses DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres).
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { mintOnlineCode } from '../../dist/libs/paycode/src/index.js';
import { CampusCodeKeys } from '../../dist/libs/campus/src/index.js';
import { ChargesService } from '../../dist/libs/campus/src/charges.service.js';
import { benchConfig } from '../support/config.js';
import { createApi } from '../../dist/apps/api/src/bootstrap.js';
import { dbUrl, pgbenchTps, recreate, server } from '../support/postgres.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, clients: { type: 'string', default: '64' }, 'cards-per-client': { type: 'string', default: '2' }, warmup: { type: 'string', default: '3' } } });
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
const clients = Number(values.clients);
const perClient = Number(values['cards-per-client']);
const pgbench = () => pgbenchTps({ clients, seconds });

function prcId(i) {
  const first17 = `110105${1990 + (i % 15)}0${1 + (i % 9)}1${i % 10}${String(i % 1000).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, k) => s + Number(d) * w[k], 0);
  return first17 + '10X98765432'[sum % 11];
}

// every statement the API process sends to PostgreSQL (BEGIN and COMMIT included): statements per charge
// do not depend on how busy the machine is, unlike the rates
let statements = 0;
let lastStatementsPerOp = 0;
// CPU time of this process (the API's use case and the bench's code minting) per operation: unlike the
// rates, it hardly depends on how busy the machine is
let lastCpuUsPerOp = 0;
// CPU time of the PostgreSQL backends serving the bench's database per operation (from /proc: only when
// the server runs on this machine and its processes are readable; null otherwise)
let lastServerCpuUsPerOp = null;
let backendPids = async () => [];
const ticksPerSecond = 100;
/** CPU time used so far by each process, microseconds (null when /proc cannot be read). */
function backendCpuUs(pids) {
  const out = new Map();
  for (const pid of pids) {
    try {
      // utime and stime: the 14th and 15th fields, counted after the command's closing parenthesis
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1e6) / ticksPerSecond);
    } catch {
      return null;
    }
  }
  return out;
}

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (...args) {
  statements++;
  return query.apply(this, args);
};

/** Runs one loop per client for `duration` seconds; returns completed operations per second. */
async function drive(work, duration = seconds) {
  let done = 0;
  const pids = await backendPids();
  const serverBefore = backendCpuUs(pids);
  const statementsBefore = statements;
  const cpuBefore = process.cpuUsage();
  const failures = new Map();
  const until = Date.now() + duration * 1000;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      while (Date.now() < until) {
        try {
          await work(i);
          done++;
        } catch (err) {
          const code = err?.code ?? err?.message ?? String(err);
          failures.set(code, (failures.get(code) ?? 0) + 1);
        }
      }
    }),
  );
  if (failures.size) console.log(`  (failures: ${JSON.stringify(Object.fromEntries(failures))})`);
  lastStatementsPerOp = (statements - statementsBefore) / Math.max(done, 1);
  const cpu = process.cpuUsage(cpuBefore);
  lastCpuUsPerOp = (cpu.user + cpu.system) / Math.max(done, 1);
  const serverAfter = pids.length && serverBefore ? backendCpuUs(await backendPids()) : null;
  lastServerCpuUsPerOp = serverAfter ? [...serverAfter].reduce((sum, [pid, us]) => sum + us - (serverBefore.get(pid) ?? 0), 0) / Math.max(done, 1) : null;
  return done / ((Date.now() - started) / 1000);
}

const reference = await pgbench();

await recreate('citypay_bench_campus');
const admin = { phone: '+8613900000001', password: 'bench-admin-password' };
const config = benchConfig({
  DATABASE_URL: dbUrl('citypay_bench_campus'),
  DB_POOL_SIZE: String(clients + 4),
  JOBS_IN_API: 'false',
  ADMIN_PHONE: admin.phone,
  ADMIN_PASSWORD: admin.password,
});
const api = await createApi(config);
backendPids = async () => {
  const host = new URL(server).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') return [];
  const rows = await api.app.get(DataSource).query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`);
  return rows.map((r) => r.pid);
};
await api.app.listen({ port: 0, host: '127.0.0.1' });
const { port } = api.app.getHttpServer().address();
let keyNo = 0;
async function call(method, path, body, token, idem = false) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...(idem ? { 'idempotency-key': `bench-${++keyNo}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => null);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
/** Runs `n` setup calls, 8 at a time. */
async function times(n, f) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => { for (let i; (i = next++) < n; ) out[i] = await f(i); }));
  return out;
}

try {
  const setupStarted = Date.now();
  const adminToken = (await call('POST', '/v1/auth/login', admin)).accessToken;
  const uni = await call('POST', '/v1/admin/organizations', { kind: 'UNIVERSITY', name: '天津商业大学 (bench)' }, adminToken);
  const canteens = await times(clients, async (i) => {
    const org = await call('POST', '/v1/admin/organizations', { kind: 'MERCHANT', name: `Canteen ${i}`, universityId: uni.id, merchantCategory: 'CANTEEN' }, adminToken);
    // devices are made by the merchant's ORG_ADMIN: the bench admin becomes one
    await call('POST', `/v1/organizations/${org.id}/staff`, { phone: admin.phone, role: 'ORG_ADMIN' }, adminToken);
    const pos = await call('POST', `/v1/organizations/${org.id}/devices`, { kind: 'POS', label: `POS ${i}` }, adminToken);
    return { merchantId: org.id, device: { kind: 'device', id: pos.id, deviceKind: 'POS', label: `POS ${i}`, organizationId: org.id, organizationKind: 'MERCHANT' } };
  });
  await call('POST', `/v1/organizations/${uni.id}/staff`, { phone: admin.phone, role: 'ORG_ADMIN' }, adminToken);
  const n = clients * perClient;
  await call('POST', `/v1/campus/${uni.id}/members`, { members: Array.from({ length: n }, (_, i) => ({ memberNo: `B${i}`, fullName: `学生${i}`, kind: 'STUDENT' })) }, adminToken);
  const cards = await times(n, async (i) => {
    const reg = await call('POST', '/v1/auth/register', { phone: `+86137${String(10_000_000 + i + randomInt(0, 80_000_000)).slice(-8)}`, password: 'bench-password-1' });
    await call('POST', '/v1/me/real-name', { fullName: `学生${i}`, idType: 'PRC_ID', idNumber: prcId(i) }, reg.accessToken);
    const card = await call('POST', '/v1/campus/cards', { universityId: uni.id, memberNo: `B${i}` }, reg.accessToken);
    await call('POST', '/v1/admin/adjustments', { userId: reg.user.id, direction: 'CREDIT', amount: 40_000, currency: 'CNY', reason: 'bench funds' }, adminToken, true);
    await call('POST', `/v1/campus/cards/${card.id}/top-ups`, { amount: 40_000, source: 'WALLET' }, reg.accessToken, true);
    const code = (await call('POST', `/v1/campus/cards/${card.id}/codes`, undefined, reg.accessToken)).code;
    const claims = JSON.parse(Buffer.from(code.split('.')[1], 'base64url').toString());
    return { sub: claims.sub, aud: claims.aud };
  });
  console.log(`  setup: ${clients} canteens with a POS, ${n} funded cards in ${((Date.now() - setupStarted) / 1000).toFixed(0)} s`);

  // the pool's connections opened before the measured phases (so that their start is not counted)
  const dataSource = api.app.get(DataSource);
  await Promise.all(Array.from({ length: clients + 4 }, () => dataSource.query('SELECT pg_sleep(0.2)')));
  const charges = api.app.get(ChargesService);
  const keys = api.app.get(CampusCodeKeys);
  const signer = await keys.signer();
  const turn = new Array(clients).fill(0);
  const chargeAt = (canteen) => (i) => {
    const card = cards[i * perClient + (turn[i]++ % perClient)];
    const code = mintOnlineCode(signer, { use: 'card', sub: card.sub, aud: card.aud, now: Date.now() }).code;
    return charges.charge(canteen(i).device, { code, amount: 1 });
  };
  if (warmup > 0) await drive(chargeAt((i) => canteens[i]), warmup);
  const spread = await drive(chargeAt((i) => canteens[i]));
  const perCharge = lastStatementsPerOp;
  const cpuPerCharge = lastCpuUsPerOp;
  const serverCpuPerCharge = lastServerCpuUsPerOp;
  const hot = await drive(chargeAt(() => canteens[0]));
  const verify = await call('GET', `/v1/campus/merchants/${canteens[0].merchantId}/settlements?date=${new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)}`, undefined, adminToken).catch(() => null);

  console.log(`campus bench: ${clients} POS clients, ${seconds} s each after ${warmup} s of warm-up, same PostgreSQL (${new URL(server).host}), ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`  pgbench tpcb-like (reference)           ${reference.toFixed(0).padStart(7)} tps`);
  console.log(`  charges, one canteen per client (spread) ${spread.toFixed(0).padStart(7)} /s   ratio to pgbench ${(spread / reference).toFixed(2)} (goal >= 0.50)`);
  console.log(`  charges, all clients at one canteen (hot) ${hot.toFixed(0).padStart(6)} /s   ratio hot/spread ${(hot / spread).toFixed(2)} (goal >= 0.80)`);
  console.log(`  statements to PostgreSQL per charge     ${perCharge.toFixed(2).padStart(7)}   (BEGIN and COMMIT included; spread phase)`);
  console.log(`  API process CPU per charge              ${cpuPerCharge.toFixed(0).padStart(7)} us (code minting by the bench included; spread phase)`);
  if (serverCpuPerCharge !== null) console.log(`  PostgreSQL backends' CPU per charge       ${serverCpuPerCharge.toFixed(0).padStart(6)} us (the bench database's client backends; spread phase)`);
  if (verify) console.log(`  the hot canteen's settlement today: ${verify.count} charges, ${verify.total.amount} fen`);
} finally {
  await api.close();
}
