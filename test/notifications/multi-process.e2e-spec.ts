import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, TEST_SECRETS, type TestApp } from '../support/app.js';
import { bill, credit, loadBills, makeBiller, payBill } from '../support/billing.js';
import { ADMIN, adminToken, verifiedUser } from '../support/factories.js';
import { freshDatabase } from '../support/database.js';
import { pay, topUp } from '../support/payments.js';
import { buildOnce, type Child, childEnv, freePort, runNode, waitReady, SERVER } from '../support/process.js';
import { openEvents, type SseClient } from '../support/sse.js';

const MAIN = SERVER;

/** A real API process (`npm start`'s artefact) on the shared database; the factories need only `request`. */
interface Api extends Pick<TestApp, 'baseUrl' | 'request'> {
  child: Child;
}

/**
 * Delivery across API processes: a notification committed by one process
 * reaches a stream held by another (LISTEN/NOTIFY wakes it, the outbox is
 * read), as behind a load balancer with N replicas.
 */
describe('live notifications across two API processes', () => {
  let a: Api;
  let b: Api;
  let dataDir: string;
  const streams: SseClient[] = [];

  const start = async (url: string): Promise<Api> => {
    const port = await freePort();
    const child = runNode(
      MAIN,
      childEnv({
        DATABASE_URL: url,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        ...TEST_SECRETS,
        ADMIN_PHONE: ADMIN.phone,
        ADMIN_PASSWORD: ADMIN.password,
        NOTIFICATIONS_HEARTBEAT_MS: '1000',
        LOG_LEVEL: 'warn',
      }),
    );
    await waitReady(port, 60_000);
    const baseUrl = `http://127.0.0.1:${port}`;
    return { child, baseUrl, request: (method, path, options) => request(baseUrl, method, path, options) };
  };

  beforeAll(async () => {
    buildOnce();
    dataDir = mkdtempSync(join(tmpdir(), 'citypay-notify-'));
    const { url } = await freshDatabase();
    a = await start(url);
    b = await start(url);
  }, 180_000);

  afterAll(async () => {
    streams.forEach((s) => s.close());
    for (const api of [a, b]) if (api && api.child.proc.exitCode === null) api.child.proc.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a top-up confirmed on process A reaches the stream on process B; a bill paid on B reaches A; Last-Event-ID resumes on the other', async () => {
    const appA = a as unknown as TestApp;
    const appB = b as unknown as TestApp;
    const user = await verifiedUser(appA);

    const onB = await openEvents(b.baseUrl, '/v1/me/events', { authorization: `Bearer ${user.accessToken}` });
    streams.push(onB);
    expect(onB.status).toBe(200);
    const order = await topUp(appA, user, 'ALIPAY', 1800);
    await pay(appA, 'ALIPAY', order.checkout.providerTradeId);
    const topUpEvent = await onB.next((e) => e.event === 'TOP_UP_SUCCEEDED');
    expect(JSON.parse(topUpEvent.data).data).toMatchObject({ orderId: order.id, amount: { amount: 1800, currency: 'CNY' } });
    onB.close();

    // written by B while the user has no stream; A replays it from the Last-Event-ID B gave
    const admin = await adminToken(appB);
    const biller = await makeBiller(appB, admin);
    expect((await appB.request('POST', '/v1/me/biller-accounts', { token: user.accessToken, body: { billerId: biller.billerId, customerRef: 'MP-1' } })).status).toBe(201);
    await loadBills(appB, biller, [bill('MP-1', 600)]);
    const onA = await openEvents(a.baseUrl, '/v1/me/events', { authorization: `Bearer ${user.accessToken}`, 'last-event-id': topUpEvent.id! });
    streams.push(onA);
    const issued = await onA.next();
    expect(issued.event).toBe('BILL_ISSUED');

    // live: paid through B, seen on A
    await credit(appB, admin, user, 600);
    const paid = await payBill(appB, user, JSON.parse(issued.data).data.billId, { method: 'WALLET' });
    expect(paid.status).toBe(201);
    const paidEvent = await onA.next();
    expect(paidEvent.event).toBe('BILL_PAID');
    expect(JSON.parse(paidEvent.data).data.paymentId).toBe(paid.body.payment.id);
    // nothing twice, nothing else
    await new Promise((r) => setTimeout(r, 1200));
    expect(onA.events.map((e) => e.event)).toEqual(['BILL_ISSUED', 'BILL_PAID']);
    expect(onA.comments).toContain('keep-alive');
  });

  it('SIGTERM ends the open streams and the process stops cleanly at once', async () => {
    const user = await verifiedUser(b as unknown as TestApp);
    const stream = await openEvents(b.baseUrl, '/v1/me/events', { authorization: `Bearer ${user.accessToken}` });
    streams.push(stream);
    expect(stream.status).toBe(200);
    const started = Date.now();
    b.child.proc.kill('SIGTERM');
    await stream.ended;
    expect(await b.child.exited(15_000)).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(b.child.output()).not.toMatch(/Shutdown took too long/);
  });
});
