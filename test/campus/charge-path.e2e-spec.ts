import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { IdempotencyService } from '@app/common';
import { NotificationsService } from '@app/notifications';
import type { AuthenticatedDevice } from '@app/identity';
import { ChargesService } from '../../libs/campus/src/charges.service.js';
import { groupCommitted, startApp, type TestApp } from '../support/app.js';
import { ADMIN, adminToken } from '../support/factories.js';
import { openEvents, type SseClient } from '../support/sse.js';
import { cardCode, cardView, charge, makeMerchant, makeUniversity, studentWithCard } from '../support/campus.js';
import type { TestMerchant, TestUniversity } from '../support/campus.js';
import { storedKey } from '../support/idempotency.js';

/**
 * The canteen at noon: what a charge costs PostgreSQL. A charge is one
 * statement (campus.pos_charge(), which also writes the owner's
 * notification); with an Idempotency-Key, that same one statement also
 * stores the response. No charge transaction sends a NOTIFY (PostgreSQL runs
 * the commits of NOTIFYing transactions one after another): the owner's
 * live streams are woken after the commit, coalesced. Charges that arrive
 * while others run share one statement and one commit (the group commit),
 * each in its own subtransaction: its refusal is its own.
 */
describe('campus charge path', () => {
  let app: TestApp;
  let admin: string;
  let uni: TestUniversity;
  let canteen: TestMerchant;
  let device: AuthenticatedDevice;
  const streams: SseClient[] = [];

  // every statement this test's charges send, in order (the async context tells them from the app's others)
  const traced = new AsyncLocalStorage<string[]>();
  const query = pg.Client.prototype.query;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password });
    admin = await adminToken(app);
    uni = await makeUniversity(app, admin);
    canteen = await makeMerchant(app, admin, uni);
    device = { kind: 'device', id: canteen.pos.id, deviceKind: 'POS', label: 'till 1', organizationId: canteen.id, organizationKind: 'MERCHANT' };
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      traced.getStore()?.push(String(text).replace(/\s+/g, ' ').trim());
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
  });
  afterAll(async () => {
    pg.Client.prototype.query = query;
    streams.forEach((s) => s.close());
    await app?.close();
  });

  /** Runs `work`, returning the statements it had sent when it resolved (the wake-up of the live streams comes after). */
  const statementsOf = async (work: () => Promise<unknown>): Promise<string[]> => {
    const sent: string[] = [];
    await traced.run(sent, work);
    return [...sent];
  };

  it('a charge outside an idempotent request is ONE statement to PostgreSQL', async () => {
    const charges = app.api.app.get(ChargesService);
    const card = await studentWithCard(app, admin, uni, 5_000);
    // the first charge of a POS looks its merchant up (then cached): not what is measured
    await charges.charge(device, { code: await cardCode(app, card), amount: 100 });

    const code = await cardCode(app, card);
    let result: Awaited<ReturnType<ChargesService['charge']>> | undefined;
    const sent = await statementsOf(async () => (result = await charges.charge(device, { code, amount: 200 })));
    expect(result).toMatchObject({ status: 'SUCCEEDED', amount: 200, cardBalanceAfter: 4_700 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^SELECT .* FROM campus\.pos_charge_batch\(/);
  });

  it('with an Idempotency-Key: ONE statement, the charge and its stored response (no BEGIN, COMMIT or NOTIFY)', async () => {
    const charges = app.api.app.get(ChargesService);
    const idempotency = app.api.app.get(IdempotencyService);
    const card = await studentWithCard(app, admin, uni, 5_000);
    await charges.charge(device, { code: await cardCode(app, card), amount: 100 });

    const code = await cardCode(app, card);
    const scope = `device:${device.id}`;
    const key = `k-${randomBytes(8).toString('hex')}`;
    const requestHash = randomBytes(32);
    const claimed = await idempotency.claim(scope, key, requestHash);
    if (claimed.kind !== 'claimed') throw new Error(`not claimed: ${claimed.kind}`);
    const ctx = { scope, key, claim: claimed.claim, status: 201, recorded: false, requestHash, claimInStatement: false };
    let result: Awaited<ReturnType<ChargesService['charge']>> | undefined;
    const sent = await statementsOf(() => idempotency.run(ctx, async () => (result = await charges.charge(device, { code, amount: 300 }))));
    idempotency.finished(ctx);
    expect(ctx.recorded).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/campus\.pos_charge_batch\(/);
    // the stored response (what a retry with the key replays) is the one answered
    expect(await storedKey(app.api.app.get(DataSource), scope, key)).toEqual({ status: 'COMPLETED', response_status: 201, response_body: JSON.parse(JSON.stringify(result)) });
  });

  it('charges that arrive together share a statement, each with its own answer; a refused one leaves no trace', async () => {
    const charges = app.api.app.get(ChargesService);
    const cards = await Promise.all(Array.from({ length: 8 }, () => studentWithCard(app, admin, uni, 1_000)));
    const [rich, poor, frozen, reused] = cards;
    await charges.charge(device, { code: await cardCode(app, rich), amount: 1 });
    const frozenCode = await cardCode(app, frozen);
    expect((await app.request('POST', `/v1/campus/cards/${frozen.id}/freeze`, { token: frozen.owner.accessToken })).status).toBe(200);
    expect((await app.request('PATCH', `/v1/campus/cards/${rich.id}`, { token: rich.owner.accessToken, body: { dailyLimit: 1_000 } })).status).toBe(200);
    const twice = await cardCode(app, reused);
    const tooMuch = await cardCode(app, poor);
    // the first goes at once, alone; the rest wait for its statement and go together
    const work: { code: string; amount: number; expect: string }[] = [
      ...(await Promise.all(cards.slice(4).map(async (c) => ({ code: await cardCode(app, c), amount: 100, expect: 'SUCCEEDED' })))),
      { code: await cardCode(app, rich), amount: 200, expect: 'SUCCEEDED' },
      { code: tooMuch, amount: 1_001, expect: 'INSUFFICIENT_FUNDS' },
      { code: frozenCode, amount: 100, expect: 'CARD_FROZEN' },
      { code: twice, amount: 300, expect: 'SUCCEEDED' },
      { code: twice, amount: 300, expect: 'CODE_ALREADY_USED' },
      { code: await cardCode(app, poor), amount: 400, expect: 'SUCCEEDED' },
      { code: await cardCode(app, rich), amount: 900, expect: 'DAILY_LIMIT_EXCEEDED' },
    ];
    const before = await groupCommitted(app, 'campus_pos_charge');
    const sent = await statementsOf(() =>
      Promise.all(work.map((w) => charges.charge(device, { code: w.code, amount: w.amount }).then((r) => r.status as string, (err: { code?: string }) => err.code ?? String(err)))).then((outcomes) =>
        expect(outcomes).toEqual(work.map((w) => w.expect)),
      ),
    );
    const after = await groupCommitted(app, 'campus_pos_charge');
    expect(after.requests - before.requests).toBe(work.length);
    // fewer statements than charges: the ones that waited went together (the live streams' wake-ups aside)
    const statements = sent.filter((text) => /campus\.pos_charge_batch\(/.test(text));
    expect(statements.length).toBeLessThan(work.length);
    expect(after.statements - before.statements).toBe(statements.length);

    // the refused charges wrote nothing: balances, used codes and the day's spending are those of the charges that passed
    expect((await cardView(app, rich)).balance).toBe(1_000 - 1 - 200);
    expect((await cardView(app, poor)).balance).toBe(1_000 - 400);
    expect((await cardView(app, frozen)).balance).toBe(1_000);
    expect((await cardView(app, reused)).balance).toBe(1_000 - 300);
    // the code refused for funds was not used up: its subtransaction undid its use
    expect((await charges.charge(device, { code: tooMuch, amount: 600 })).status).toBe('SUCCEEDED');
  });

  it('CARD_CHARGED reaches each owner live, for charges committed together (their wake-ups coalesced)', async () => {
    const cards = await Promise.all(Array.from({ length: 6 }, () => studentWithCard(app, admin, uni, 2_000)));
    const live = await Promise.all(
      cards.map(async (card) => {
        const stream = await openEvents(app.baseUrl, '/v1/me/events', { authorization: `Bearer ${card.owner.accessToken}` });
        streams.push(stream);
        return stream;
      }),
    );
    const codes = await Promise.all(cards.map((card) => cardCode(app, card)));
    const results = await Promise.all(cards.map((_, i) => charge(app, canteen.pos, { code: codes[i], amount: 100 + i })));
    expect(results.map((r) => r.status)).toEqual(cards.map(() => 201));
    for (const [i, stream] of live.entries()) {
      const event = await stream.next((e) => e.event === 'CARD_CHARGED', 10_000);
      expect(JSON.parse(event.data)).toMatchObject({ type: 'CARD_CHARGED', data: { chargeId: results[i].body.id, amount: { amount: 100 + i, currency: 'CNY' }, cardId: cards[i].id } });
    }
  });

  it('one wake-up names many users: each of their streams reads its rows', async () => {
    const cards = await Promise.all(Array.from({ length: 3 }, () => studentWithCard(app, admin, uni)));
    const live = await Promise.all(
      cards.map(async (card) => {
        const stream = await openEvents(app.baseUrl, '/v1/me/events', { authorization: `Bearer ${card.owner.accessToken}` });
        streams.push(stream);
        return stream;
      }),
    );
    // rows committed without a NOTIFY (as campus.pos_charge() writes them), then one announce for all three
    const db = new pg.Client({ connectionString: app.databaseUrl });
    await db.connect();
    try {
      for (const [i, card] of cards.entries()) {
        await db.query(`SELECT notifications.enqueue($1, 'CARD_CHARGED', $2, $3)`, [card.owner.id, `t-${i}-${card.id}`, { chargeId: card.id, amount: { amount: 7 + i, currency: 'CNY' } }]);
      }
    } finally {
      await db.end();
    }
    app.api.app.get(NotificationsService).announce(...cards.map((c) => c.owner.id));
    for (const [i, stream] of live.entries()) {
      const event = await stream.next((e) => e.event === 'CARD_CHARGED', 10_000);
      expect(JSON.parse(event.data)).toMatchObject({ data: { chargeId: cards[i].id, amount: { amount: 7 + i } } });
    }
  });
});
