import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { NotificationsService } from '@app/notifications';
import type { NotificationInput } from '@app/notifications';
import { expectError, startApp, type TestApp } from '../support/app.js';
import { registerUser, type TestUser } from '../support/factories.js';
import { eventually } from '../support/payments.js';
import { openEvents, type SseClient } from '../support/sse.js';

const money = (amount: number) => ({ amount, currency: 'CNY' as const });
const topUpNotice = (userId: string, amount: number): NotificationInput => ({
  userId,
  type: 'TOP_UP_SUCCEEDED',
  data: { orderId: `o-${amount}`, amount: money(amount), provider: 'ALIPAY' },
});

describe('notifications: list, read marks, the outbox rule and the live stream', () => {
  let app: TestApp;
  let notifications: NotificationsService;
  let dataSource: DataSource;
  const streams: SseClient[] = [];

  /** Commits one notification, as a context does inside its own transaction. */
  const write = (input: NotificationInput) => dataSource.transaction((m) => notifications.notify(m, input));
  const events = async (user: TestUser, headers: Record<string, string> = {}, query = ''): Promise<SseClient> => {
    const s = await openEvents(app.baseUrl, `/v1/me/events${query}`, { authorization: `Bearer ${user.accessToken}`, ...headers });
    streams.push(s);
    return s;
  };

  beforeAll(async () => {
    app = await startApp({ NOTIFICATIONS_HEARTBEAT_MS: '1000' });
    notifications = app.api.app.get(NotificationsService);
    dataSource = app.api.app.get(DataSource);
  });
  afterAll(async () => {
    streams.forEach((s) => s.close());
    await app?.close();
  });

  it('lists newest first with real cursors and the unread count; marks read (204), 404 for anyone else', async () => {
    const user = await registerUser(app);
    const other = await registerUser(app);
    const empty = await app.request('GET', '/v1/me/notifications', { token: user.accessToken });
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual({ items: [], nextCursor: null, unreadCount: 0 });

    for (const amount of [100, 200, 300, 400, 500]) await write(topUpNotice(user.id, amount));
    await write(topUpNotice(other.id, 999));

    const first = await app.request('GET', '/v1/me/notifications?limit=2', { token: user.accessToken });
    expect(first.status).toBe(200);
    expect(first.body.unreadCount).toBe(5);
    expect(first.body.items.map((n: any) => n.data.amount.amount)).toEqual([500, 400]);
    expect(first.body.items[0]).toEqual({
      id: expect.any(String),
      type: 'TOP_UP_SUCCEEDED',
      title: '充值成功',
      body: '通过支付宝充值 ¥5.00 已到账。',
      data: { orderId: 'o-500', amount: { amount: 500, currency: 'CNY' }, provider: 'ALIPAY' },
      createdAt: expect.any(String),
    });
    const second = await app.request('GET', `/v1/me/notifications?limit=2&cursor=${first.body.nextCursor}`, { token: user.accessToken });
    expect(second.body.items.map((n: any) => n.data.amount.amount)).toEqual([300, 200]);
    const third = await app.request('GET', `/v1/me/notifications?limit=2&cursor=${second.body.nextCursor}`, { token: user.accessToken });
    expect(third.body.items.map((n: any) => n.data.amount.amount)).toEqual([100]);
    expect(third.body.nextCursor).toBeNull();

    const english = await app.request('GET', '/v1/me/notifications?limit=1', { token: user.accessToken, headers: { 'accept-language': 'en-US,en;q=0.9,zh;q=0.5' } });
    expect(english.body.items[0]).toMatchObject({ title: 'Top-up received', body: '¥5.00 topped up via Alipay is in your wallet.' });
    const forced = await app.request('GET', '/v1/me/notifications?limit=1&lang=zh-CN', { token: user.accessToken, headers: { 'accept-language': 'en' } });
    expect(forced.body.items[0].title).toBe('充值成功');

    const target = first.body.items[1].id as string;
    const read = await app.request('POST', `/v1/me/notifications/${target}/read`, { token: user.accessToken });
    expect(read.status).toBe(204);
    expect(read.text).toBe('');
    expect((await app.request('POST', `/v1/me/notifications/${target}/read`, { token: user.accessToken })).status).toBe(204);
    expectError(await app.request('POST', `/v1/me/notifications/${target}/read`, { token: other.accessToken }), 404, 'NOT_FOUND');
    expectError(await app.request('POST', '/v1/me/notifications/not-a-uuid/read', { token: user.accessToken }), 404, 'NOT_FOUND');

    const after = await app.request('GET', '/v1/me/notifications', { token: user.accessToken });
    expect(after.body.unreadCount).toBe(4);
    expect(after.body.items.find((n: any) => n.id === target).readAt).toEqual(expect.any(String));
    const unread = await app.request('GET', '/v1/me/notifications?unread=true', { token: user.accessToken });
    expect(unread.body.items.map((n: any) => n.data.amount.amount)).toEqual([500, 300, 200, 100]);

    expect((await app.request('POST', '/v1/me/notifications/read-all', { token: user.accessToken })).status).toBe(204);
    expect((await app.request('GET', '/v1/me/notifications', { token: user.accessToken })).body.unreadCount).toBe(0);
    // the other user's stays unread and unseen by this user
    expect((await app.request('GET', '/v1/me/notifications', { token: other.accessToken })).body.unreadCount).toBe(1);

    expectError(await app.request('GET', '/v1/me/notifications?cursor=bogus', { token: user.accessToken }), 400, 'VALIDATION_FAILED');
    expectError(await app.request('GET', '/v1/me/notifications?limit=201', { token: user.accessToken }), 400, 'VALIDATION_FAILED');
    expectError(await app.request('GET', '/v1/me/notifications?lang=fr', { token: user.accessToken }), 400, 'VALIDATION_FAILED');
    expectError(await app.request('GET', '/v1/me/notifications'), 401, 'UNAUTHENTICATED');
    expectError(await app.request('GET', '/v1/me/events'), 401, 'UNAUTHENTICATED');
  });

  it('lists and streams in seq order when seq gains a digit (numeric, not text, order)', async () => {
    const user = await registerUser(app);
    // the next rows' seq straddle a power of ten (…98, …99, 100…, 100…1, …)
    await dataSource.query(
      `SELECT setval(pg_get_serial_sequence('notifications.notifications', 'seq'),
                     power(10, ceil(log(10, COALESCE((SELECT max(seq) FROM notifications.notifications), 0) + 10)))::bigint - 3)`,
    );
    const stream = await events(user);
    for (const amount of [100, 200, 300, 400, 500]) await write(topUpNotice(user.id, amount));
    const first = await app.request('GET', '/v1/me/notifications?limit=2', { token: user.accessToken });
    expect(first.body.items.map((n: any) => n.data.amount.amount)).toEqual([500, 400]);
    const second = await app.request('GET', `/v1/me/notifications?limit=2&cursor=${first.body.nextCursor}`, { token: user.accessToken });
    expect(second.body.items.map((n: any) => n.data.amount.amount)).toEqual([300, 200]);
    const third = await app.request('GET', `/v1/me/notifications?limit=2&cursor=${second.body.nextCursor}`, { token: user.accessToken });
    expect(third.body.items.map((n: any) => n.data.amount.amount)).toEqual([100]);
    const streamed: number[] = [];
    for (let i = 0; i < 5; i++) streamed.push(JSON.parse((await stream.next()).data).data.amount.amount);
    expect(streamed).toEqual([100, 200, 300, 400, 500]);
  });

  it('documents the routes in the OpenAPI: the page with unreadCount, the event stream with Last-Event-ID', async () => {
    const doc = (await app.request('GET', '/docs-json')).body;
    const list = doc.paths['/v1/me/notifications'].get;
    const schemaRef = list.responses['200'].content['application/json'].schema.$ref as string;
    const page = doc.components.schemas[schemaRef.split('/').pop()!];
    expect(Object.keys(page.properties).sort()).toEqual(['items', 'nextCursor', 'unreadCount']);
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['limit', 'cursor', 'lang', 'unread']));
    const events = doc.paths['/v1/me/events'].get;
    expect(Object.keys(events.responses['200'].content)).toEqual(['text/event-stream']);
    expect(events.parameters.map((p: { name: string }) => p.name)).toContain('Last-Event-ID');
    expect(doc.paths['/v1/me/notifications/{id}/read'].post.responses['204']).toBeDefined();
  });

  it('writes nothing when the transaction rolls back, and refuses to write outside one', async () => {
    const user = await registerUser(app);
    const stream = await events(user);
    await expect(
      dataSource.transaction(async (m) => {
        await notifications.notify(m, topUpNotice(user.id, 111));
        throw new Error('the payment failed after the notification was written');
      }),
    ).rejects.toThrow('the payment failed');
    await expect(notifications.notify(dataSource.manager, topUpNotice(user.id, 112))).rejects.toThrow(/inside the transaction/);
    await write(topUpNotice(user.id, 113));

    // the stream's first event is the committed one: the rolled-back one was never announced
    const first = await stream.next();
    expect(JSON.parse(first.data).data.amount.amount).toBe(113);
    const list = await app.request('GET', '/v1/me/notifications', { token: user.accessToken });
    expect(list.body.items.map((n: any) => n.data.amount.amount)).toEqual([113]);
  });

  it('streams each notification as it commits (event, id, data), only to its user, with heartbeats', async () => {
    const user = await registerUser(app);
    const other = await registerUser(app);
    const stream = await events(user, { 'accept-language': 'en' });
    const otherStream = await events(other);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toContain('no-cache');

    await write(topUpNotice(user.id, 700));
    const event = await stream.next();
    const listed = (await app.request('GET', '/v1/me/notifications', { token: user.accessToken, headers: { 'accept-language': 'en' } })).body.items[0];
    expect(event.event).toBe('TOP_UP_SUCCEEDED');
    expect(event.id).toBe(listed.id);
    expect(JSON.parse(event.data)).toEqual(listed);

    // a bulk write of many users reaches each one once
    await dataSource.transaction((m) => notifications.notifyMany(m, [topUpNotice(other.id, 1), topUpNotice(user.id, 2), topUpNotice(other.id, 3)]));
    expect(JSON.parse((await stream.next()).data).data.amount.amount).toBe(2);
    expect(JSON.parse((await otherStream.next()).data).data.amount.amount).toBe(1);
    expect(JSON.parse((await otherStream.next()).data).data.amount.amount).toBe(3);
    expect(stream.events).toHaveLength(2);

    await eventually(async () => stream.comments.includes('keep-alive'), 5_000, 'a heartbeat');
  });

  it('a transaction that commits late is neither skipped nor waited for (and nothing else running delays the stream)', async () => {
    const user = await registerUser(app);
    const stream = await events(user);
    // an unrelated write transaction left open: it holds back the oldest running xid
    const bystander = dataSource.createQueryRunner();
    await bystander.connect();
    await bystander.startTransaction();
    await bystander.query(`SELECT pg_current_xact_id()`);
    // T1 writes first (smaller txid and seq) and commits last
    const late = dataSource.createQueryRunner();
    await late.connect();
    await late.startTransaction();
    try {
      await notifications.notify(late.manager, topUpNotice(user.id, 901));
      await write(topUpNotice(user.id, 902));
      const early = await stream.next(undefined, 5_000);
      expect(JSON.parse(early.data).data.amount.amount).toBe(902);
      await late.commitTransaction();
      const lateEvent = await stream.next(undefined, 5_000);
      expect(JSON.parse(lateEvent.data).data.amount.amount).toBe(901);
      await write(topUpNotice(user.id, 903));
      expect(JSON.parse((await stream.next(undefined, 5_000)).data).data.amount.amount).toBe(903);
      expect(stream.events).toHaveLength(3);
    } finally {
      if (late.isTransactionActive) await late.rollbackTransaction();
      await late.release();
      await bystander.rollbackTransaction();
      await bystander.release();
    }
  });

  it('a key makes a notification once only (BILL_DUE once per bill)', async () => {
    const user = await registerUser(app);
    const due: NotificationInput = {
      userId: user.id,
      type: 'BILL_DUE',
      key: 'bill-1',
      data: { billId: 'bill-1', billerId: 'b', billerName: '国网天津', customerRef: 'C1', period: '2026-11', outstanding: money(12345), dueDate: '2026-12-04' },
    };
    expect(await dataSource.transaction((m) => notifications.notify(m, due))).toBe(true);
    expect(await dataSource.transaction((m) => notifications.notify(m, due))).toBe(false);
    const list = await app.request('GET', '/v1/me/notifications', { token: user.accessToken });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0].body).toBe('国网天津（户号 C1）2026-11 账单尚欠 ¥123.45，将于 2026-12-04 到期。');
  });

  it('Last-Event-ID replays what came after it; an unknown or foreign id starts from now', async () => {
    const user = await registerUser(app);
    const other = await registerUser(app);
    await write(topUpNotice(user.id, 1));
    const ids: string[] = [];
    for (const amount of [2, 3, 4]) {
      await write(topUpNotice(user.id, amount));
    }
    const list = (await app.request('GET', '/v1/me/notifications', { token: user.accessToken })).body.items as any[];
    ids.push(...list.map((n) => n.id).reverse());
    await write(topUpNotice(other.id, 50));
    const foreignId = (await app.request('GET', '/v1/me/notifications', { token: other.accessToken })).body.items[0].id;

    const resumed = await events(user, { 'last-event-id': ids[1] });
    const replayed = [await resumed.next(), await resumed.next()];
    expect(replayed.map((e) => e.id)).toEqual([ids[2], ids[3]]);
    await write(topUpNotice(user.id, 5));
    expect(JSON.parse((await resumed.next()).data).data.amount.amount).toBe(5);

    for (const bad of [foreignId, '00000000-0000-4000-8000-000000000000', 'nonsense']) {
      const fresh = await events(user, { 'last-event-id': bad });
      await write(topUpNotice(user.id, 6));
      expect(JSON.parse((await fresh.next()).data).data.amount.amount).toBe(6);
      expect(fresh.events).toHaveLength(1);
      fresh.close();
    }
  });

  it('keeps delivering after its LISTEN connection is killed (reconnects, catches up from the outbox)', async () => {
    const user = await registerUser(app);
    const stream = await events(user);
    const admin = new pg.Client({ connectionString: app.databaseUrl });
    await admin.connect();
    try {
      const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '%-listen'`);
      expect(killed.rowCount).toBeGreaterThan(0);
      // written while the listener is down: found when it comes back
      await write(topUpNotice(user.id, 801));
      expect(JSON.parse((await stream.next()).data).data.amount.amount).toBe(801);
      await eventually(
        async () => (await admin.query(`SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '%-listen' AND query LIKE 'LISTEN%'`)).rowCount! > 0,
        10_000,
        'the listener back',
      );
      await write(topUpNotice(user.id, 802));
      expect(JSON.parse((await stream.next()).data).data.amount.amount).toBe(802);
    } finally {
      await admin.end();
    }
  });
});

describe('notifications: a stream does not outlive its access token', () => {
  it('ends when the token expires (the client reconnects with a fresh one and Last-Event-ID)', async () => {
    const app = await startApp({ ACCESS_TOKEN_TTL_SECONDS: '30', NOTIFICATIONS_HEARTBEAT_MS: '1000' });
    try {
      const user = await registerUser(app);
      const exp = JSON.parse(Buffer.from(user.accessToken.split('.')[1], 'base64url').toString()).exp as number;
      const stream = await openEvents(app.baseUrl, '/v1/me/events', { authorization: `Bearer ${user.accessToken}` });
      expect(stream.status).toBe(200);
      await stream.ended;
      const endedAt = Date.now();
      expect(endedAt).toBeGreaterThanOrEqual(exp * 1000);
      expect(endedAt).toBeLessThan(exp * 1000 + 5_000);
    } finally {
      await app.close();
    }
  }, 90_000);
});

describe('notifications: shutdown', () => {
  it('ends open streams at shutdown, so the server stops at once instead of waiting out the grace period', async () => {
    const app = await startApp({ SHUTDOWN_GRACE_MS: '20000' });
    const user = await registerUser(app);
    const stream = await openEvents(app.baseUrl, '/v1/me/events', { authorization: `Bearer ${user.accessToken}` });
    await eventually(async () => stream.comments.includes('connected'), 5_000, 'the stream open');
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    await stream.ended;
  });
});
