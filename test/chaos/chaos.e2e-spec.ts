import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomInt, randomUUID } from 'node:crypto';
import pg from 'pg';
import { TEST_SECRETS } from '../support/app.js';
import { freshDatabase } from '../support/database.js';
import { ADMIN, randomPhone, randomPrcId } from '../support/factories.js';
import { startFaultProxy, type FaultProxy } from '../support/pg-fault-proxy.js';
import { buildOnce, childEnv, freePort, runNode } from '../support/process.js';
import { ApiProcess, Figures, pause, RetryingClient } from './harness.js';
import { type ChaosContext, type ChaosUser, workloads, type WorkloadReport } from './workloads.js';

/**
 * Payments from parallel clients that retry with the same key while the
 * database's connections are terminated (at random, and as the pool hands
 * them out), the API process is SIGKILLed and restarted, and the provider
 * sandbox duplicates, drops and delays notifications and goes down. Then:
 * every acknowledged payment exists once, nothing is doubled, no key is
 * left IN_PROGRESS, the wallets equal what was acknowledged, the ledger
 * verifies, no answer was a 500 or a 401 to a valid token, and the process
 * never died by itself. Bounded by CHAOS_LOAD_MS (default 40 s of load).
 */
const CLIENTS = Number(process.env.CHAOS_CLIENTS ?? 16);
const LOAD_MS = Number(process.env.CHAOS_LOAD_MS ?? 40_000);
const TERMINATE_EVERY_MS = 200;
const HANDOUT_KILL_PROBABILITY = 0.05;
const INITIAL_FUNDS = 1_000_000;
const VERIFY = 'dist/apps/api/src/ledger-verify.js';
const PROVIDERS = ['ALIPAY', 'WECHAT_PAY', 'UNIONPAY', 'ALIPAY_HK'] as const;
const NOTIFICATION_FAULTS: Record<(typeof PROVIDERS)[number], { notifications: string; delayMs?: number }> = {
  ALIPAY: { notifications: 'DUPLICATE' },
  WECHAT_PAY: { notifications: 'DROP' },
  UNIONPAY: { notifications: 'DELAY_MS', delayMs: 1500 },
  ALIPAY_HK: { notifications: 'NORMAL' },
};

describe('chaos: payments while the database, the API process and the providers fail', () => {
  let databaseUrl: string;
  let databaseName: string;
  let proxy: FaultProxy;
  let admin: pg.Client;
  let api: ApiProcess;
  const figures = new Figures();
  const setupFigures = new Figures();

  beforeAll(async () => {
    buildOnce();
    ({ url: databaseUrl, name: databaseName } = await freshDatabase());
    proxy = await startFaultProxy(databaseUrl);
    admin = new pg.Client({ connectionString: databaseUrl, application_name: 'chaos-admin' });
    admin.on('error', () => undefined);
    await admin.connect();
    api = new ApiProcess(
      await freePort(),
      {
        DATABASE_URL: proxy.url,
        ADMIN_PHONE: ADMIN.phone,
        ADMIN_PASSWORD: ADMIN.password,
        ...TEST_SECRETS,
        LOG_LEVEL: 'warn',
        DB_POOL_SIZE: '10',
        PAYMENT_QUERY_INTERVAL_MS: '1000',
        IDEMPOTENCY_WAIT_MS: '2000',
        RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
      },
      figures,
    );
    await api.start();
  }, 240_000);

  afterAll(async () => {
    await api?.stop().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await proxy?.close();
  });

  it('loses nothing, doubles nothing, answers no 500 and no 401 to a valid token, and never dies by itself', async () => {
    const started = Date.now();
    const setupClient = new RetryingClient(api, setupFigures);
    const call: ChaosContext['call'] = async (method, path, options = {}) => {
      const res = await setupClient.send(method, path, { token: options.token, body: options.body, idempotencyKey: options.key, deadline: Date.now() + 60_000 });
      if (!res) throw new Error(`${method} ${path}: no answer within 60 s`);
      return res;
    };
    const login = await call('POST', '/v1/auth/login', { body: ADMIN });
    const adminToken = (login.body as { accessToken: string }).accessToken;

    const users: ChaosUser[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      const reg = await call('POST', '/v1/auth/register', { body: { phone: randomPhone(), password: 'chaos-password-123' } });
      const user = { id: (reg.body as { user: { id: string } }).user.id, token: (reg.body as { accessToken: string }).accessToken };
      await call('POST', '/v1/me/real-name', { token: user.token, body: { fullName: '混沌', idType: 'PRC_ID', idNumber: randomPrcId() } });
      const credit = await call('POST', '/v1/admin/adjustments', {
        token: adminToken,
        key: randomUUID(),
        body: { userId: user.id, direction: 'CREDIT', amount: INITIAL_FUNDS, currency: 'CNY', reason: 'chaos funds' },
      });
      expect(credit.status).toBe(201);
      users.push(user);
    }
    const clients = users.map(() => new RetryingClient(api, figures));
    const ctx: ChaosContext = { api, figures, admin: adminToken, users, client: (i) => clients[i], call };
    const plan = workloads();
    for (const { workload } of plan) await workload.prepare(ctx);
    for (const p of PROVIDERS) {
      await call('POST', `/sandbox/${p}/faults`, { body: { ...NOTIFICATION_FAULTS[p], gateway: 'UP' } });
      if (NOTIFICATION_FAULTS[p].notifications !== 'NORMAL') figures.faults.notificationFaults++;
    }
    const setupMs = Date.now() - started;

    // ---- the load, and the faults ----
    const loadStart = Date.now();
    const loadEnd = loadStart + LOAD_MS;
    const drainDeadline = loadEnd + 45_000;
    proxy.killAtHandout = HANDOUT_KILL_PROBABILITY;

    const client = async (i: number): Promise<void> => {
      const exhausted = new Set<number>();
      while (Date.now() < loadEnd && exhausted.size < plan.length) {
        const open = plan.map((p, n) => ({ ...p, n })).filter((p) => !exhausted.has(p.n));
        let pick = randomInt(open.reduce((s, p) => s + p.weight, 0));
        const chosen = open.find((p) => (pick -= p.weight) < 0)!;
        if (!(await chosen.workload.step(ctx, i, drainDeadline))) exhausted.add(chosen.n);
      }
    };
    const terminator = async (): Promise<void> => {
      while (Date.now() < loadEnd) {
        // a starting API is killed at a fifth of the rate, or the run would be mostly restarts
        const every = api.restarting ? TERMINATE_EVERY_MS * 5 : TERMINATE_EVERY_MS;
        await pause(every, every);
        const { rows } = await admin
          .query<{ killed: boolean }>(
            `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
              WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name NOT IN ('chaos-admin', 'fault-proxy')
              ORDER BY random() LIMIT 1`,
            [databaseName],
          )
          .catch(() => ({ rows: [] as { killed: boolean }[] }));
        if (rows[0]?.killed) figures.faults.connectionsTerminated++;
      }
    };
    const at = (fraction: number) => pause(LOAD_MS * fraction, LOAD_MS * fraction);
    const disasters = async (): Promise<void> => {
      await at(0.3);
      await api.killAndRestart();
      const outageAt = loadStart + LOAD_MS * 0.45;
      await pause(Math.max(0, outageAt - Date.now()), Math.max(0, outageAt - Date.now()));
      for (const p of ['ALIPAY', 'UNIONPAY'] as const) await call('POST', `/sandbox/${p}/faults`, { body: { ...NOTIFICATION_FAULTS[p], gateway: 'DOWN' } });
      figures.faults.gatewayOutages += 2;
      await pause(4000, 4000);
      for (const p of ['ALIPAY', 'UNIONPAY'] as const) await call('POST', `/sandbox/${p}/faults`, { body: { ...NOTIFICATION_FAULTS[p], gateway: 'UP' } });
      const secondKillAt = loadStart + LOAD_MS * 0.65;
      await pause(Math.max(0, secondKillAt - Date.now()), Math.max(0, secondKillAt - Date.now()));
      await api.killAndRestart();
    };
    await Promise.all([...users.map((_, i) => client(i)), terminator(), disasters()]);
    proxy.killAtHandout = 0;
    figures.faults.terminatedAtHandout = proxy.killedAtHandout;
    const loadMs = Date.now() - loadStart;

    // ---- afterwards ----
    for (const p of PROVIDERS) await call('POST', `/sandbox/${p}/faults`, { body: { notifications: 'NORMAL', gateway: 'UP' } });
    const settleDeadline = Date.now() + 45_000;
    for (const { workload } of plan) await workload.settle(ctx, settleDeadline);
    const reports: WorkloadReport[] = [];
    for (const { workload } of plan) reports.push(await workload.verify(ctx));

    const walletProblems: string[] = [];
    for (const [i, user] of users.entries()) {
      const expected = INITIAL_FUNDS + plan.reduce((s, { workload }) => s + (workload.walletDelta().get(String(i)) ?? 0), 0);
      const res = await call('GET', '/v1/wallet', { token: user.token });
      const cny = (res.body as { balances: { amount: number; currency: string }[] }).balances.find((b) => b.currency === 'CNY')?.amount ?? 0;
      if (cny !== expected) walletProblems.push(`user ${i}: wallet ${cny}, acknowledged payments explain ${expected}`);
    }
    let inProgress = -1;
    for (let tries = 0; tries < 50 && inProgress !== 0; tries++) {
      if (tries) await pause(200, 200);
      inProgress = (await admin.query<{ n: number }>(`SELECT count(*)::int AS n FROM common.idempotency_keys WHERE status = 'IN_PROGRESS'`)).rows[0].n;
    }
    // a key left running: whose, since when, and whether its owner backend still exists (for the report below)
    const stuckKeys = inProgress
      ? (
          await admin.query<{ row: string }>(
            `SELECT format('key left IN_PROGRESS: %s, claimed %s s ago, lock until %s s from now, owner backend %s (%s)',
                      k.scope, round(extract(epoch FROM now() - k.created_at)), round(extract(epoch FROM k.locked_until - now())), k.owner_pid,
                      CASE WHEN a.pid IS NULL THEN 'gone' ELSE a.application_name || ', ' || coalesce(a.state, '?') END) AS row
               FROM common.idempotency_keys k
               LEFT JOIN pg_stat_activity a ON a.pid = k.owner_pid AND a.backend_start = k.owner_started
              WHERE k.status = 'IN_PROGRESS' LIMIT 3`,
          )
        ).rows.map((r) => r.row)
      : [];
    const jobStates = (await admin.query<{ name: string; state: string; n: number }>(
      `SELECT name, state, count(*)::int AS n FROM pgboss.job WHERE name LIKE 'payments.%' GROUP BY 1, 2 ORDER BY 1, 2`,
    )).rows;
    const stopCode = await api.stop();
    const verify = runNode(VERIFY, childEnv({ DATABASE_URL: databaseUrl }));
    const verifyCode = await verify.exited(60_000);

    // ---- the figures ----
    const lines = [
      `chaos suite: ${CLIENTS} clients, ${(loadMs / 1000).toFixed(1)} s of load (setup ${(setupMs / 1000).toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      `  requests ${figures.requests}, connection errors ${figures.networkErrors} (API down), answers: ${JSON.stringify(Object.fromEntries([...figures.answers].sort()))}`,
      `  faults: ${figures.faults.connectionsTerminated} connections terminated at random + ${figures.faults.terminatedAtHandout} at hand-out (proxy), API SIGKILLed ${figures.faults.apiKilled}x (down ${(api.downMs / 1000).toFixed(1)} s in all), ${figures.faults.gatewayOutages} gateway outages, notifications ${PROVIDERS.map((p) => `${p} ${NOTIFICATION_FAULTS[p].notifications}`).join(', ')}`,
      ...reports.map(
        (r) =>
          `  ${r.name}: attempted ${r.attempted}, acknowledged ${r.acknowledged}, persisted ${r.persisted}, duplicates ${r.duplicates}, lost ${r.lost}, unknown ${r.unknown}, refusals ${JSON.stringify(r.refusals)}`,
      ),
      `  5xx by code: ${JSON.stringify(figures.fivexx())}; violations (500, 401 to a valid token): ${figures.violations.length}; unexpected exits: ${figures.unexpectedExits.length}`,
      `  keys left IN_PROGRESS: ${inProgress}; wallets off: ${walletProblems.length}; ledger:verify exit ${verifyCode}; API stopped with exit ${stopCode}`,
    ];
    lines.push(`  jobs: ${jobStates.map((j) => `${j.name} ${j.state} ${j.n}`).join(', ')}`);
    // what went wrong, if anything: the first few of each kind
    const errors500 = api
      .output()
      .split('\n')
      .filter((l) => l.includes('Error answered 500'))
      .map((l) => {
        try {
          const { err } = JSON.parse(l) as { err?: { message?: string; stack?: string } };
          return `${err?.message ?? '?'} @ ${(err?.stack ?? '').split('\n').slice(1, 4).join(' <')}`;
        } catch {
          return l.slice(0, 300);
        }
      });
    for (const item of [...errors500.slice(0, 5), ...reports.flatMap((r) => r.problems.slice(0, 5)), ...walletProblems.slice(0, 3), ...figures.unexpectedExits.slice(0, 3), ...stuckKeys]) {
      lines.push(`  ! ${item.slice(0, 3000)}`);
    }
    console.log(lines.join('\n'));

    expect(figures.unexpectedExits).toEqual([]);
    expect(figures.violations).toEqual([]);
    for (const r of reports) {
      expect(r.problems).toEqual([]);
      expect({ name: r.name, duplicates: r.duplicates, lost: r.lost, persisted: r.persisted, refusals: r.refusals }).toEqual({
        name: r.name,
        duplicates: 0,
        lost: 0,
        persisted: r.acknowledged,
        refusals: {},
      });
      expect(r.acknowledged).toBeGreaterThan(0);
    }
    expect(walletProblems).toEqual([]);
    expect(inProgress).toBe(0);
    expect(verify.output()).toContain('ledger: OK, money adds up');
    expect(verifyCode).toBe(0);
    expect(stopCode).toBe(0);
    // the faults were real
    expect(figures.faults.apiKilled).toBe(2);
    expect(figures.faults.connectionsTerminated).toBeGreaterThan(LOAD_MS / TERMINATE_EVERY_MS / 10);
    expect(figures.faults.terminatedAtHandout).toBeGreaterThan(0);
    expect(figures.networkErrors).toBeGreaterThan(0);
  }, 360_000);
});
