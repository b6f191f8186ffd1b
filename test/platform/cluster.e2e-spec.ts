import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_SECRETS, type HttpResult, type RequestOptions, type TestApp } from '../support/app.js';
import { bill, credit, fetchBill, loadBills, makeBiller, payBill } from '../support/billing.js';
import { ADMIN, adminToken, login, registerUser, verifiedUser } from '../support/factories.js';
import { freshDatabase } from '../support/database.js';
import { eventually } from '../support/payments.js';
import { buildOnce, type Child, childEnv, freePort, runNode, waitReady, SERVER } from '../support/process.js';

const MAIN = SERVER;

/**
 * One request on a connection of its own: node:cluster hands out connections
 * (round-robin), so requests spread over the workers as behind a load balancer.
 */
function freshRequest<T = any>(baseUrl: string, method: string, path: string, opts: RequestOptions = {}): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${baseUrl}${path}`, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, headers: h, body: parsed as T, text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The pid that logged the access line of each request id (every log line carries its process's pid). */
function servedBy(output: string, ids: string[]): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of output.split('\n')) {
    if (!line.includes('"request completed"')) continue;
    const entry = JSON.parse(line) as { reqId: string; pid: number };
    if (ids.includes(entry.reqId)) found.set(entry.reqId, entry.pid);
  }
  return found;
}

/**
 * WEB_CONCURRENCY=2: one primary, two API workers on one port, on a real
 * PostgreSQL. Requests reach both; the login limit, queued jobs and
 * idempotency hold across them; a killed worker is replaced; SIGTERM stops all.
 */
describe('WEB_CONCURRENCY=2: two API processes behind one port', () => {
  let server: Child;
  let app: Pick<TestApp, 'baseUrl' | 'request'>;
  let dataDir: string;
  let admin: string;
  const workerPids = (): number[] => [...server.output().matchAll(/"pid":(\d+)[^\n]*"msg":"City Pay API listening/g)].map((m) => Number(m[1]));

  const deliveries: { paymentId: string }[] = [];
  let hookSecret = '';
  const hook: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['citypay-signature'] ?? ''));
      const valid = !!m && createHmac('sha256', hookSecret).update(`${m[1]}.${body}`).digest('hex') === m[2];
      if (valid) {
        const event = JSON.parse(body) as { data: { paymentId: string } };
        deliveries.push({ paymentId: event.data.paymentId });
      }
      res.writeHead(valid ? 200 : 400).end();
    });
  });

  beforeAll(async () => {
    buildOnce();
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    dataDir = mkdtempSync(join(tmpdir(), 'citypay-cluster-'));
    const { url } = await freshDatabase();
    const port = await freePort();
    server = runNode(
      MAIN,
      childEnv({
        WEB_CONCURRENCY: '2',
        DATABASE_URL: url,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        ...TEST_SECRETS,
        ADMIN_PHONE: ADMIN.phone,
        ADMIN_PASSWORD: ADMIN.password,
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        PAYMENT_QUERY_INTERVAL_MS: '3600000',
        DB_POOL_SIZE: '5',
        LOG_LEVEL: 'info',
      }),
    );
    await waitReady(port, 120_000);
    await server.waitFor(/City Pay API: 2 workers on port/, 60_000);
    await eventually(async () => new Set(workerPids()).size === 2, 120_000, 'both workers listening');
    const baseUrl = `http://127.0.0.1:${port}`;
    app = { baseUrl, request: (method, path, options) => freshRequest(baseUrl, method, path, options) };
    admin = await adminToken(app as TestApp);
  }, 300_000);

  afterAll(async () => {
    if (server) {
      const pids = workerPids();
      server.proc.kill('SIGTERM');
      expect(await server.exited(60_000)).toBe(0);
      // the workers are gone with their primary
      for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    }
    await new Promise((r) => hook.close(r));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 90_000);

  it('serves requests from both workers', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `cluster-spread-${String(i).padStart(4, '0')}`);
    for (const id of ids) expect((await app.request('GET', '/v1/me', { headers: { 'x-request-id': id } })).status).toBe(401);
    const served = await eventually(async () => {
      const m = servedBy(server.output(), ids);
      return m.size === ids.length ? m : undefined;
    }, 5_000, 'the access lines');
    expect(new Set(served.values())).toEqual(new Set(workerPids()));
  });

  it('holds the login failure limit across the workers', async () => {
    const user = await registerUser(app as TestApp);
    const ids: string[] = [];
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const id = `cluster-login-${String(i).padStart(4, '0')}`;
      ids.push(id);
      const res = await app.request('POST', '/v1/auth/login', { body: { phone: user.phone, password: `wrong-${i}` }, headers: { 'x-request-id': id } });
      statuses.push(res.status);
    }
    // 5 checked, then refused: not 5 per worker
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect((await login(app as TestApp, user.phone, user.password)).status).toBe(429);
    const served = await eventually(async () => {
      const m = servedBy(server.output(), ids);
      return m.size === ids.length ? m : undefined;
    }, 5_000, 'the access lines');
    expect(new Set(served.values()).size).toBe(2);
  });

  it('runs each queued job once (one webhook per payment), with idempotent payments across the workers', async () => {
    const biller = await makeBiller(app as TestApp, admin, { billerCategory: 'WATER' });
    const registered = await app.request('PUT', `/v1/billers/${biller.billerId}/webhook`, {
      token: biller.staff.accessToken,
      body: { url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/events` },
    });
    expect(registered.status).toBe(200);
    hookSecret = registered.body.secret as string;

    const count = 8;
    await loadBills(app as TestApp, biller, Array.from({ length: count }, (_, i) => bill(`CL-${i}`, 100 + i)));
    const user = await verifiedUser(app as TestApp);
    await credit(app as TestApp, admin, user, 10_000);
    const paymentIds: string[] = [];
    for (let i = 0; i < count; i++) {
      const b = await fetchBill(app as TestApp, user, biller, `CL-${i}`);
      const key = `cluster-pay-${i}-${Date.now()}`;
      // the same key twice at once, landing on either worker: one payment
      const [first, second] = await Promise.all([payBill(app as TestApp, user, b.id, { method: 'WALLET' }, key), payBill(app as TestApp, user, b.id, { method: 'WALLET' }, key)]);
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body.payment.id).toBe(first.body.payment.id);
      paymentIds.push(first.body.payment.id as string);
    }
    const wallet = await app.request('GET', '/v1/wallet', { token: user.accessToken });
    const paid = Array.from({ length: count }, (_, i) => 100 + i).reduce((a, b) => a + b, 0);
    expect((wallet.body.balances as { amount: number; currency: string }[]).find((b) => b.currency === 'CNY')?.amount).toBe(10_000 - paid);

    await eventually(async () => deliveries.length >= count, 30_000, 'the webhook deliveries');
    await new Promise((r) => setTimeout(r, 3_000)); // a second worker running the same job would deliver again by now
    expect(deliveries.map((d) => d.paymentId).sort()).toEqual([...paymentIds].sort());
  }, 120_000);

  it('replaces a worker that dies', async () => {
    const [victim, survivor] = workerPids();
    process.kill(victim, 'SIGKILL');
    await server.waitFor(new RegExp(`API worker ${victim} exited \\(SIGKILL\\); starting another`), 10_000);
    // the survivor serves meanwhile
    expect((await app.request('GET', '/health/live')).status).toBe(200);
    await eventually(async () => workerPids().length === 3, 120_000, 'the replacement listening');
    const replacement = workerPids()[2];
    expect([victim, survivor]).not.toContain(replacement);
    const ids = Array.from({ length: 12 }, (_, i) => `cluster-after-${String(i).padStart(4, '0')}`);
    for (const id of ids) expect((await app.request('GET', '/v1/me', { headers: { 'x-request-id': id } })).status).toBe(401);
    const served = await eventually(async () => {
      const m = servedBy(server.output(), ids);
      return m.size === ids.length ? m : undefined;
    }, 5_000, 'the access lines');
    expect(new Set(served.values())).toEqual(new Set([survivor, replacement]));
  }, 150_000);
});
