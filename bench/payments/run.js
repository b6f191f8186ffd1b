// Bench: bill payments over HTTP against pgbench on the same PostgreSQL, in one run.
//   1. pgbench -b tpcb-like with the same client count (the reference: one transaction per payment),
//      then pgbench -b simple-update (no rows shared between clients, as the payers' own billers):
//      the latency PostgreSQL itself gives a writing transaction at this concurrency on this server
//   2. the built API (node dist/server/main.js, what npm start runs, its own process) on a fresh database;
//      N clients each paying its own bills (1 fen each) from its own funded wallet with
//      POST /v1/bills/:billId/payments {method: WALLET}, a fresh Idempotency-Key each:
//      payments/s, p50/p99, ratio to pgbench (goal >= 0.5)
//   3. 64 payers paying 64 billers (spread) vs 64 payers paying ONE biller's bills (hot):
//      ratio hot/spread (goal >= 0.8)
// Measured in a steady state, as pgbench measures its own: after the setup the database is
// vacuumed and analysed (pgbench -i does the same to its tables) and checkpointed (the setup's
// writes flushed before the clock starts, not during phase 1), then the payers pay other bills
// for --warmup seconds, not measured: the API's code compiled, its pools and caches filled, and
// the first write of each hot page after the checkpoint (a full-page image in the WAL) done;
// halfway through the warm-up the database is analysed again, with the ledger grown by then
// (statistics of a nearly empty ledger gave plans that scan it whole, kept while it grows).
// Every payment must succeed (the bench fails otherwise) and `ledger:verify` must pass after it.
// The API process's RSS (VmRSS) is sampled during the run; its peak is printed.
// Usage: npm run bench:payments [-- --seconds 10 --warmup 10 --log-level warn --clients 32 --payers 64 --bills 1000 --port 0 --cpu-prof-dir DIR --db NAME --web-concurrency 1]
// Uses DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres).
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { dbUrl, pgbench, recreate, server } from '../support/postgres.js';
import { cpuMs, nodeTree, treeCpuMs, treeRssMb } from '../support/proc.js';
import { SERVER_ENTRY, serverNodeFlags } from '../support/server.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '10' },
    // the API's log level: 'info' logs each payment with its time (a tail's requests can then be found in time)
    'log-level': { type: 'string', default: 'warn' },
    clients: { type: 'string', default: '32' },
    payers: { type: 'string', default: '64' },
    bills: { type: 'string', default: '1000' },
    port: { type: 'string', default: '0' },
    // a directory: the API runs with --cpu-prof there (node --cpu-prof is refused in NODE_OPTIONS)
    'cpu-prof-dir': { type: 'string' },
    // the bench's own database (dropped and created again): another name when two benches share a server
    db: { type: 'string', default: 'citypay_bench_payments' },
    // API processes (npm start's WEB_CONCURRENCY): CPU and RSS are then those of the supervisor and its workers
    'web-concurrency': { type: 'string', default: '1' },
  },
});
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const clients = Number(values.clients);
const payers = Math.max(Number(values.payers), clients);
const billsEach = Number(values.bills); // bills per payer at its own biller (phase 1 and spread share them)
/** A free local port (or --port). */
async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port: free } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return free;
}
const port = Number(values.port) || (await freePort());
const DB = values.db;
const ADMIN = { phone: '+8613900000031', password: 'bench-admin-password' };

const env = {
  ...process.env,
  NODE_ENV: 'test',
  LOG_LEVEL: values['log-level'],
  JWT_SECRET: randomBytes(48).toString('base64url'),
  DEVICE_SECRET_KEY: randomBytes(32).toString('base64'),
  ID_NUMBER_HASH_KEY: randomBytes(32).toString('base64'),
  PAYCODE_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
  DATABASE_URL: dbUrl(DB),
  DB_POOL_SIZE: String(payers + 4),
  JOBS_IN_API: 'false',
  ADMIN_PHONE: ADMIN.phone,
  ADMIN_PASSWORD: ADMIN.password,
  PORT: String(port),
  HOST: '127.0.0.1',
  WEB_CONCURRENCY: values['web-concurrency'],
};
const base = `http://127.0.0.1:${port}`;

function prcId(i) {
  const first17 = `110105${1990 + (i % 15)}0${1 + (i % 9)}1${i % 10}${String(i % 1000).padStart(3, '0')}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, k) => s + Number(d) * w[k], 0);
  return first17 + '10X98765432'[sum % 11];
}
const apiCpuMs = () => treeCpuMs(api.pid);
const apiRssMb = () => treeRssMb(api.pid);
/**
 * CPU used by the API's processes and by the bench database's PostgreSQL
 * backends, so that a phase's cost per payment can be read on a loaded
 * machine (where rates and latencies follow the other load, CPU per
 * payment does not).
 */
async function cpuNow(db) {
  const { rows } = await db.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [DB]);
  const backends = new Map(rows.map((r) => [r.pid, cpuMs(r.pid)]));
  // sequential scans of the tables a payment writes (a sign of plans made on stale statistics)
  const [scans] = (
    await db.query(
      `SELECT coalesce(sum(seq_scan), 0)::bigint AS scans, coalesce(sum(seq_tup_read), 0)::bigint AS rows FROM pg_stat_user_tables
        WHERE schemaname IN ('ledger', 'billing', 'common', 'notifications') AND n_live_tup > 1000`,
    )
  ).rows;
  return { api: apiCpuMs(), backends, scans: Number(scans.scans), scannedRows: Number(scans.rows) };
}
function cpuPerPayment(before, after, payments) {
  let db = 0;
  for (const [pid, ms] of after.backends) db += ms - (before.backends.get(pid) ?? 0);
  return (
    `API ${((after.api - before.api) / payments).toFixed(2)} ms, PostgreSQL ${(db / payments).toFixed(2)} ms; ` +
    `sequential scans of tables over 1,000 rows ${after.scans - before.scans} (${after.scannedRows - before.scannedRows} rows read)`
  );
}

let keyNo = 0;
async function call(method, path, body, token, idem = false) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(idem ? { 'idempotency-key': `setup-${++keyNo}` } : {}),
    },
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

/**
 * `conns` connections, connection k paying as payer k the bills `billsOf(k)` in turn, for `seconds`.
 * Returns payments/s, latencies and failures; any non-201 is a failure.
 */
async function drive(conns, billsOf, tokens, duration = seconds) {
  const turn = new Array(conns).fill(0);
  let nextConn = 0;
  const failures = new Map();
  let ranOut = 0;
  const request = (k) => ({
    method: 'POST',
    setupRequest: (req) => {
      const bills = billsOf(k);
      const bill = bills[turn[k]++];
      if (!bill) ranOut++;
      return {
        ...req,
        path: `/v1/bills/${bill ?? bills[0]}/payments`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[k]}`, 'idempotency-key': randomBytes(12).toString('base64url') },
        body: '{"method":"WALLET"}',
      };
    },
    onResponse: (status, body) => {
      if (status !== 201) {
        let code = String(status);
        try {
          code = `${status} ${JSON.parse(body).code}`;
        } catch {
          // not JSON: the status alone
        }
        failures.set(code, (failures.get(code) ?? 0) + 1);
      }
    },
  });
  const result = await autocannon({
    url: base,
    connections: conns,
    duration,
    pipelining: 1,
    timeout: 30, // seconds: a slow payment on a loaded machine is slow, not failed
    // each connection is one payer: its own token, its own bills
    requests: [{ method: 'GET', path: '/health/live' }],
    setupClient: (client) => client.setRequests([request(nextConn++)]),
  });
  const errors = result.errors + result.timeouts;
  if (errors) failures.set('socket errors/timeouts', errors);
  if (ranOut) failures.set(`ran out of bills (raise --bills above ${billsEach})`, ranOut);
  const ok = result.requests.total - [...failures.values()].reduce((a, b) => a + b, 0);
  return { rate: ok / (result.duration || duration), ok, p50: result.latency.p50, p99: result.latency.p99, failures, total: result.requests.total };
}

// ---- 1. the reference
const { tps: reference, p50: refP50, p99: refP99 } = await pgbench({ clients, seconds });
// tpcb-like's p99 is mostly waits on its 10 shared branch rows; this one is the server's own
const simple = await pgbench({ clients, seconds, script: 'simple-update' });

// ---- 2. the API in its own process, on a fresh database
if (await fetch(`${base}/health/live`).then(() => true, () => false)) throw new Error(`port ${port} is taken: pass --port`);
await recreate(DB);
const profile = values['cpu-prof-dir'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof-dir']}`] : [];
const api = spawn(process.execPath, [...serverNodeFlags(), ...profile, SERVER_ENTRY], { env, stdio: ['ignore', 'inherit', 'inherit'] });
const apiExited = new Promise((resolve) => api.once('exit', resolve));
process.once('exit', () => api.kill('SIGKILL')); // never left behind, whatever stops the bench
let failed = false;
try {
  for (let i = 0; ; i++) {
    if (api.exitCode !== null) throw new Error(`the API exited (${api.exitCode})`);
    const up = await fetch(`${base}/health/ready`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 600) throw new Error('the API did not become ready in 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const setupStarted = Date.now();
  const adminToken = (await call('POST', '/v1/auth/login', ADMIN)).accessToken;
  const billers = await times(payers, async (i) => {
    const org = await call('POST', '/v1/admin/organizations', { kind: 'BILLER', name: `Bench Power ${i}`, billerCategory: 'ELECTRICITY' }, adminToken);
    await call('POST', `/v1/organizations/${org.id}/staff`, { phone: ADMIN.phone, role: 'ORG_ADMIN' }, adminToken);
    return org.id;
  });
  const users = await times(payers, async (i) => {
    const reg = await call('POST', '/v1/auth/register', { phone: `+86136${String(10_000_000 + i).slice(-8)}`, password: 'bench-password-1' });
    await call('POST', '/v1/me/real-name', { fullName: `付款人${i}`, idType: 'PRC_ID', idNumber: prcId(i) }, reg.accessToken);
    await call('POST', '/v1/admin/adjustments', { userId: reg.user.id, direction: 'CREDIT', amount: 10_000_000, currency: 'CNY', reason: 'bench funds' }, adminToken, true);
    return { id: reg.user.id, token: reg.accessToken };
  });
  // bills of 1 fen, each paid once: for the warm-up (W, payer i at biller i), phase 1 (A, payer i at biller i), spread (S, payer i at
  // biller i) and hot (H, every payer at biller 0)
  const upload = async (billerId, refs) => {
    for (let s = 0; s < refs.length; s += 10_000) {
      const chunk = refs.slice(s, s + 10_000).map((customerRef) => ({ customerRef, period: '2026-11', amount: 1, currency: 'CNY', dueDate: '2026-12-31' }));
      const r = await call('POST', `/v1/billers/${billerId}/bills`, { bills: chunk }, adminToken);
      if (r.rejected.length) throw new Error(`bills rejected: ${JSON.stringify(r.rejected.slice(0, 3))}`);
    }
  };
  const refs = (kind, i, count = billsEach) => Array.from({ length: count }, (_, k) => `${kind}${i}-${k}`);
  // the warm-up's bills: as many a second as phase 1's
  const warmupBills = Math.ceil((billsEach * warmupSeconds) / seconds);
  await times(payers, (i) => upload(billers[i], [...(i < clients ? [...refs('W', i, warmupBills), ...refs('A', i)] : []), ...refs('S', i)]));
  await upload(billers[0], Array.from({ length: payers }, (_, i) => refs('H', i)).flat());
  const db = new pg.Client({ connectionString: dbUrl(DB) });
  await db.connect();
  const pool = { W: [], A: [], S: [], H: [] };
  for (const kind of Object.keys(pool)) for (let i = 0; i < payers; i++) pool[kind].push([]);
  for (const { id, customer_ref: ref } of (await db.query(`SELECT id, customer_ref FROM billing.bills`)).rows) {
    const [, kind, i] = /^([WASH])(\d+)-/.exec(ref);
    pool[kind][Number(i)].push(id);
  }
  const billCount = Object.values(pool).flat(2).length;
  console.log(`  setup: ${payers} billers, ${payers} funded payers, ${billCount} bills in ${((Date.now() - setupStarted) / 1000).toFixed(0)} s`);

  // the API's RSS, sampled through the run
  let rssPeak = 0;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, apiRssMb())), 250);
  const tokens = users.map((u) => u.token);
  // the steady state (see the top of this file): vacuumed, checkpointed, then warm
  await db.query('VACUUM (ANALYZE)');
  await db.query('CHECKPOINT');
  if (warmupSeconds > 0) {
    // half the warm-up, ANALYZE, the other half: the ledger, payments and keys were a few rows at the
    // VACUUM (ANALYZE) above, and a plan PL/pgSQL made on those statistics (a sequential scan of
    // journal_entries or postings, kept for the session) would scan tables growing through the phases
    // until autovacuum analyses them; pgbench's tables are at their full size when it starts
    const warm = async (bills) => {
      const r = await drive(clients, (k) => bills[k], tokens, warmupSeconds / 2);
      if (r.failures.size) throw new Error(`warm-up: ${JSON.stringify(Object.fromEntries(r.failures))}`);
    };
    const half = (bills) => Math.ceil(bills.length / 2);
    await warm(pool.W.map((bills) => bills.slice(0, half(bills))));
    await db.query('ANALYZE');
    await warm(pool.W.map((bills) => bills.slice(half(bills))));
  }
  const cpuBefore = await cpuNow(db);
  const main = await drive(clients, (k) => pool.A[k], tokens);
  const cpuAfter = await cpuNow(db);
  await db.end();
  const spread = await drive(payers, (k) => pool.S[k], tokens);
  const hotRun = await drive(payers, (k) => pool.H[k], tokens);
  clearInterval(sampler);
  // the group commit of wallet payments, all phases: payments a statement, statements run as one set
  const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
  const metric = (name, labels) =>
    [...metrics.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))]
      .filter((m) => labels.every((l) => m[1].includes(l)))
      .reduce((sum, m) => sum + Number(m[2]), 0);
  const statement = 'statement="billing_pay_from_wallet"';
  const statements = metric('db_group_commit_batch_size_count', [statement]);
  const carried = metric('db_group_commit_batch_size_sum', [statement]);
  const setWise = metric('db_group_commit_path_total', [statement, 'path="set"']);
  const eachWise = metric('db_group_commit_path_total', [statement, 'path="each"']);

  console.log(`payments bench: ${seconds} s a phase after VACUUM (ANALYZE), CHECKPOINT and ${warmupSeconds} s of warm-up (ANALYZE halfway), ${values['web-concurrency']} API process(es), same PostgreSQL (${new URL(server).host}), ${cpus().length} CPUs, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log(`  pgbench tpcb-like, ${clients} clients (reference)   ${reference.toFixed(0).padStart(7)} tps  p50 ${refP50.toFixed(0)} ms  p99 ${refP99.toFixed(0)} ms`);
  console.log(`  pgbench simple-update, ${clients} clients (no shared rows) ${simple.tps.toFixed(0).padStart(7)} tps  p50 ${simple.p50.toFixed(0)} ms  p99 ${simple.p99.toFixed(0)} ms`);
  console.log(`  bill payments, ${clients} payers, own billers       ${main.rate.toFixed(0).padStart(7)} /s   p50 ${main.p50} ms  p99 ${main.p99} ms (goal <= 50)   ratio to pgbench ${(main.rate / reference).toFixed(2)} (goal >= 0.50)`);
  console.log(`    CPU per payment (${clients} payers): ${cpuPerPayment(cpuBefore, cpuAfter, main.ok)}`);
  console.log(`  bill payments, ${payers} payers, ${payers} billers (spread) ${spread.rate.toFixed(0).padStart(7)} /s   p50 ${spread.p50} ms  p99 ${spread.p99} ms`);
  console.log(`  bill payments, ${payers} payers, ONE biller (hot)   ${hotRun.rate.toFixed(0).padStart(7)} /s   p50 ${hotRun.p50} ms  p99 ${hotRun.p99} ms   ratio hot/spread ${(hotRun.rate / spread.rate).toFixed(2)} (goal >= 0.80)`);
  console.log(`  payment statements (all phases): ${statements}, ${(carried / statements).toFixed(1)} payments each, ${((100 * setWise) / statements).toFixed(0)}% of them run as one set, ${eachWise} of several payments one by one (after a refusal), the rest of one payment`);
  const procs = nodeTree(api.pid).length;
  console.log(`  API ${procs > 1 ? `RSS of its ${procs} processes` : 'process RSS'}: peak ${rssPeak.toFixed(0)} MB during the run, ${apiRssMb().toFixed(0)} MB after (goal <= 300 MB${procs > 1 ? ' a process' : ''})`);
  for (const [name, r] of [['main', main], ['spread', spread], ['hot', hotRun]]) {
    if (r.failures.size) {
      failed = true;
      console.log(`  FAILED payments (${name}): ${JSON.stringify(Object.fromEntries(r.failures))}`);
    }
  }

  // a busy shared server may refuse a connection for a moment: retried, the ledger is the same
  let verify;
  for (let attempt = 1; attempt <= 10; attempt++) {
    verify = await promisify(execFile)(process.execPath, ['dist/apps/api/src/ledger-verify.js'], { env }).then(
      (r) => ({ ok: true, out: r.stdout }),
      (err) => ({ ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
    );
    if (verify.ok || !/too many clients/.test(verify.out)) break;
    await new Promise((r) => setTimeout(r, 2000));
  }
  process.stdout.write(verify.out.replace(/^/gm, '  '));
  if (!verify.ok) failed = true;
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  api.kill('SIGTERM');
  await apiExited;
}
if (failed) {
  console.error('payments bench: FAILED (every payment must succeed and the ledger must verify)');
  process.exit(1);
}
