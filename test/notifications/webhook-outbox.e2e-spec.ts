import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { OrganizationWebhooks, WebhookRelay } from '@app/notifications';
import { startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken, verifiedUser } from '../support/factories.js';
import { bill, fetchBill, loadBills, makeBiller, payBill } from '../support/billing.js';
import type { TestBiller } from '../support/billing.js';
import { eventually } from '../support/payments.js';

/**
 * The webhook outbox of the notifications lib (issue 15: biller webhooks on
 * the same outbox): an event is written in the transaction of the business
 * event or not at all, once per key, only for an organisation with an
 * endpoint; relays running at once (as in several processes) POST each
 * delivery once.
 */
describe('webhook outbox', () => {
  let app: TestApp;
  let ds: DataSource;
  let webhooks: OrganizationWebhooks;
  let biller: TestBiller;
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body).id as string);
      // slow enough that two relays would overlap on the same rows if they could
      setTimeout(() => res.writeHead(200).end('ok'), 20);
    });
  });
  const deliveries = async (org: string) =>
    (await ds.query(`SELECT id, status, attempts, key FROM notifications.webhook_deliveries WHERE organization_id = $1 ORDER BY created_at, id`, [org])) as {
      id: string;
      status: string;
      attempts: number;
      key: string;
    }[];

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    // the relay's own timer kept slow: the test runs the rounds itself
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RELAY_INTERVAL_MS: '60000' });
    ds = app.api.app.get(DataSource);
    webhooks = app.api.app.get(OrganizationWebhooks);
    const admin = await adminToken(app);
    biller = await makeBiller(app, admin);
    const registered = await app.request('PUT', `/v1/billers/${biller.billerId}/webhook`, {
      token: biller.staff.accessToken,
      body: { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events` },
    });
    expect(registered.status).toBe(200);
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((r) => server.close(r));
  });

  it('is written with the transaction of its event: none when it rolls back, once per key, none without an endpoint', async () => {
    const event = { organizationId: biller.billerId, type: 'test.event', key: 'k-1', data: { n: 1 } };
    await expect(
      ds.transaction(async (m) => {
        expect(await webhooks.enqueue(m, event)).toEqual(expect.any(String));
        throw new Error('the business event failed');
      }),
    ).rejects.toThrow('the business event failed');
    expect(await deliveries(biller.billerId)).toEqual([]);

    const first = await ds.transaction((m) => webhooks.enqueue(m, event));
    const again = await ds.transaction((m) => webhooks.enqueue(m, event));
    expect(first).toEqual(expect.any(String));
    expect(again).toBeNull();
    expect(await deliveries(biller.billerId)).toEqual([expect.objectContaining({ id: first, status: 'PENDING', attempts: 0, key: 'k-1' })]);
    // the SQL API (for events raised inside another context's SQL function) writes the same row, once per key too
    const [viaSql] = (await ds.query(`SELECT notifications.enqueue_webhook($1, 'test.event', 'k-1', '{"n": 1}') AS id`, [biller.billerId])) as { id: string | null }[];
    expect(viaSql.id).toBeNull();
    const [stored] = (await ds.query(`SELECT payload FROM notifications.webhook_deliveries WHERE id = $1`, [first])) as { payload: unknown }[];
    expect(stored.payload).toEqual({ type: 'test.event', data: { n: 1 } });

    const other = await makeBiller(app, await adminToken(app));
    expect(await ds.transaction((m) => webhooks.enqueue(m, { ...event, organizationId: other.billerId }))).toBeNull();
    expect(await deliveries(other.billerId)).toEqual([]);
    // outside a transaction it refuses: the event could outlive a rolled-back business event
    await expect(webhooks.enqueue(ds.manager, { ...event, key: 'k-2' })).rejects.toThrow(/inside the transaction/);
  });

  it('writes no event for a wallet payment that is refused (rolled back), one for one that succeeds', async () => {
    await loadBills(app, biller, [bill('OUTBOX-1', 500)]);
    const user = await verifiedUser(app);
    const b = await fetchBill(app, user, biller, 'OUTBOX-1');
    const before = (await deliveries(biller.billerId)).length;
    expect((await payBill(app, user, b.id, { method: 'WALLET' })).status).toBe(402);
    expect((await deliveries(biller.billerId)).length).toBe(before);
  });

  it('delivers each due event once when relays run at once', async () => {
    await ds.transaction(async (m) => {
      for (let i = 0; i < 45; i++) await webhooks.enqueue(m, { organizationId: biller.billerId, type: 'test.burst', key: `b-${i}`, data: { i } });
    });
    const relay = app.api.app.get(WebhookRelay);
    const counts = await Promise.all([relay.relay(), relay.relay(), relay.relay()]);
    await eventually(async () => (await deliveries(biller.billerId)).every((d) => d.status === 'DELIVERED'), 20_000, 'every delivery');
    const all = await deliveries(biller.billerId);
    expect(all.length).toBe(46);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(46);
    expect([...received].sort()).toEqual(all.map((d) => d.id).sort());
    expect(all.every((d) => d.attempts === 1)).toBe(true);
  });
});
