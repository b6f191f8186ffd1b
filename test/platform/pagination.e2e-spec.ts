import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { makeBiller } from '../support/billing.js';
import { ADMIN, adminToken, registerUser } from '../support/factories.js';

/** Follows nextCursor to the end; answers every page's items. */
async function allPages(app: TestApp, path: string, token: string, limit: number): Promise<any[][]> {
  const pages: any[][] = [];
  let cursor: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res: { status: number; body: any } = await app.request('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
    expect(res.status).toBe(200);
    pages.push(res.body.items);
    cursor = res.body.nextCursor;
    expect(pages.length).toBeLessThan(100);
  } while (cursor);
  return pages;
}

describe('lists page with real cursors', () => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('GET /v1/admin/audit-events: newest first by number (…, 10, 9, …, not 9, 8, …, 21, 20, 2, 19), across 25+ events', async () => {
    for (let i = 0; i < 27; i++) await registerUser(app);
    const pages = await allPages(app, '/v1/admin/audit-events?action=USER_REGISTERED', admin, 4);
    const ids = pages.flat().map((e: { id: string }) => BigInt(e.id));
    expect(ids.length).toBeGreaterThanOrEqual(27);
    expect(pages.slice(0, -1).every((p) => p.length === 4)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i] < ids[i - 1]).toBe(true);
    // the ids cross a power of ten, where text order and number order part
    expect(ids.some((id) => id >= 10n) && ids.some((id) => id < 10n)).toBe(true);
  });

  it('GET /v1/billers/:id/webhook-deliveries follows ?cursor (ties on the time broken by id), across 25+ deliveries', async () => {
    const biller = await makeBiller(app, admin);
    const ds = app.api.app.get(DataSource);
    // deliveries as the webhook outbox writes them; ten share one instant
    await ds.query(
      `INSERT INTO notifications.webhook_deliveries (organization_id, event_type, payload, created_at)
       SELECT $1, 'bill_payment.succeeded', jsonb_build_object('n', n),
              CASE WHEN n <= 10 THEN timestamptz '2026-11-20 10:00:00.123456+08' ELSE now() - n * interval '1 microsecond' END
         FROM generate_series(1, 28) n`,
      [biller.billerId],
    );
    const pages = await allPages(app, `/v1/billers/${biller.billerId}/webhook-deliveries`, biller.staff.accessToken, 5);
    const items = pages.flat() as { id: string; createdAt: string; payload: { n: number } }[];
    expect(pages.length).toBe(6);
    expect(items.map((d) => d.payload.n).sort((a, b) => a - b)).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
    for (let i = 1; i < items.length; i++) expect(items[i].createdAt <= items[i - 1].createdAt).toBe(true);
    expectError(
      await app.request('GET', `/v1/billers/${biller.billerId}/webhook-deliveries?cursor=bogus`, { token: biller.staff.accessToken }),
      400,
      'VALIDATION_FAILED',
    );
  });
});
