import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { IdempotencyService } from '@app/common';
import { verifyLedger } from '@app/ledger';
import { expectError, groupCommitted, startApp } from '../support/app.js';
import type { HttpResult, TestApp } from '../support/app.js';
import { ADMIN, adminToken, registerUser } from '../support/factories.js';
import { KycProbeModule } from '../support/kyc-probe.module.js';

describe('wallet, admin adjustments and idempotency over HTTP', () => {
  let app: TestApp;
  let admin: string;

  beforeAll(async () => {
    app = await startApp({ ADMIN_PHONE: ADMIN.phone, ADMIN_PASSWORD: ADMIN.password }, { imports: [KycProbeModule] });
    admin = await adminToken(app);
  });
  afterAll(async () => {
    await app?.close();
  });

  const adjust = (body: Record<string, unknown>, key: string | null = randomUUID(), token = admin) =>
    app.request('POST', '/v1/admin/adjustments', { token, body, headers: key === null ? {} : { 'idempotency-key': key } });
  const entries = async (userId: string): Promise<number> => {
    const [{ n }] = (await app.api.app.get(DataSource).query(
      `SELECT count(*)::int AS n FROM ledger.postings p JOIN ledger.ledger_accounts a ON a.id = p.account_id WHERE a.owner_id = $1`,
      [userId],
    )) as { n: number }[];
    return n;
  };

  it('shows an empty CNY wallet before any money arrives', async () => {
    const user = await registerUser(app);
    const res = await app.request('GET', '/v1/wallet', { token: user.accessToken });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ balances: [{ amount: 0, currency: 'CNY' }] });
    expectError(await app.request('GET', '/v1/wallet'), 401, 'UNAUTHENTICATED');
  });

  it('credits and debits a wallet through audited adjustments, with history and balanceAfter', async () => {
    const user = await registerUser(app);
    const credit = await adjust({ userId: user.id, direction: 'CREDIT', amount: 5000, currency: 'CNY', reason: 'Goodwill for outage 2026-11-20' });
    expect(credit.status).toBe(201);
    expect(credit.body).toMatchObject({ userId: user.id, direction: 'CREDIT', amount: 5000, currency: 'CNY', balanceAfter: 5000 });
    const debit = await adjust({ userId: user.id, direction: 'DEBIT', amount: 1250, currency: 'CNY', reason: 'Duplicate goodwill reversed' });
    expect(debit.body.balanceAfter).toBe(3750);
    await adjust({ userId: user.id, direction: 'CREDIT', amount: 800, currency: 'HKD', reason: 'Cross-border refund' });

    const wallet = await app.request('GET', '/v1/wallet', { token: user.accessToken });
    expect(wallet.body.balances).toEqual([
      { amount: 3750, currency: 'CNY' },
      { amount: 800, currency: 'HKD' },
    ]);
    const history = await app.request('GET', '/v1/wallet/transactions', { token: user.accessToken });
    expect(history.body.items.map((t: { amount: number; balanceAfter: number }) => [t.amount, t.balanceAfter])).toEqual([
      [800, 800],
      [-1250, 3750],
      [5000, 5000],
    ]);
    expect(history.body.items[1]).toMatchObject({ kind: 'ADJUSTMENT', currency: 'CNY', description: 'Duplicate goodwill reversed', id: debit.body.entryId });
    expect(history.body.nextCursor).toBeNull();

    const audit = await app.request('GET', `/v1/admin/audit-events?action=BALANCE_ADJUSTED&targetId=${user.id}`, { token: admin });
    expect(audit.body.items).toHaveLength(3);
    expect((await verifyLedger(app.api.app.get(DataSource))).ok).toBe(true);
  });

  it('pages the history newest first with a cursor', async () => {
    const user = await registerUser(app);
    for (let i = 1; i <= 5; i++) await adjust({ userId: user.id, direction: 'CREDIT', amount: i * 100, currency: 'CNY', reason: `credit ${i}` });
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res: HttpResult = await app.request('GET', `/v1/wallet/transactions?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: user.accessToken });
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((t: { amount: number }) => t.amount));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([500, 400, 300, 200, 100]);
    expectError(await app.request('GET', '/v1/wallet/transactions?limit=0', { token: user.accessToken }), 400, 'VALIDATION_FAILED');
    expectError(await app.request('GET', '/v1/wallet/transactions?cursor=abc', { token: user.accessToken }), 400, 'VALIDATION_FAILED');
  });

  it('refuses a debit below zero with 402 and leaves nothing behind', async () => {
    const user = await registerUser(app);
    await adjust({ userId: user.id, direction: 'CREDIT', amount: 100, currency: 'CNY', reason: 'seed money' });
    const before = await entries(user.id);
    expectError(await adjust({ userId: user.id, direction: 'DEBIT', amount: 101, currency: 'CNY', reason: 'too much' }), 402, 'INSUFFICIENT_FUNDS');
    expect(await entries(user.id)).toBe(before);
  });

  it.each([
    [{ amount: 10.5 }, 'amount'],
    [{ amount: '100' }, 'amount'],
    [{ amount: -5 }, 'amount'],
    [{ amount: 0 }, 'amount'],
    [{ amount: 100_000_001 }, 'amount'],
    [{ currency: 'USD' }, 'currency'],
    [{ direction: 'SIDEWAYS' }, 'direction'],
    [{ userId: 'me' }, 'userId'],
    [{ reason: '' }, 'reason'],
  ])('refuses %p with 400 VALIDATION_FAILED', async (override, field) => {
    const user = await registerUser(app);
    const res = await adjust({ userId: user.id, direction: 'CREDIT', amount: 100, currency: 'CNY', reason: 'valid reason', ...override });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('is for platform administrators only, and 404 for an unknown user', async () => {
    const user = await registerUser(app);
    expectError(await adjust({ userId: user.id, direction: 'CREDIT', amount: 1, currency: 'CNY', reason: 'self-service' }, randomUUID(), user.accessToken), 403, 'FORBIDDEN');
    expectError(await adjust({ userId: randomUUID(), direction: 'CREDIT', amount: 1, currency: 'CNY', reason: 'nobody' }), 404, 'NOT_FOUND');
  });

  describe('Idempotency-Key', () => {
    it('is required on money-moving routes: 400 IDEMPOTENCY_KEY_REQUIRED', async () => {
      const user = await registerUser(app);
      expectError(await adjust({ userId: user.id, direction: 'CREDIT', amount: 1, currency: 'CNY', reason: 'no key' }, null), 400, 'IDEMPOTENCY_KEY_REQUIRED');
      expectError(await adjust({ userId: user.id, direction: 'CREDIT', amount: 1, currency: 'CNY', reason: 'long key' }, 'k'.repeat(256)), 400, 'IDEMPOTENCY_KEY_REQUIRED');
      expect(await entries(user.id)).toBe(0);
    });

    it('replays the first response for the same key and body, with Idempotent-Replayed: true', async () => {
      const user = await registerUser(app);
      const key = randomUUID();
      const body = { userId: user.id, direction: 'CREDIT', amount: 700, currency: 'CNY', reason: 'replay me' };
      const first = await adjust(body, key);
      const second = await adjust(body, key);
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      expect(second.status).toBe(201);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(second.body).toEqual(first.body);
      expect(await entries(user.id)).toBe(1);
    });

    it('refuses the same key with another body: 422 IDEMPOTENCY_KEY_REUSED', async () => {
      const user = await registerUser(app);
      const key = randomUUID();
      await adjust({ userId: user.id, direction: 'CREDIT', amount: 700, currency: 'CNY', reason: 'first' }, key);
      expectError(await adjust({ userId: user.id, direction: 'CREDIT', amount: 701, currency: 'CNY', reason: 'first' }, key), 422, 'IDEMPOTENCY_KEY_REUSED');
      expect(await entries(user.id)).toBe(1);
    });

    it('gives 50 concurrent identical requests exactly one effect and identical replies', async () => {
      const user = await registerUser(app);
      const key = randomUUID();
      const body = { userId: user.id, direction: 'CREDIT', amount: 999, currency: 'CNY', reason: 'thundering herd' };
      const results = await Promise.all(Array.from({ length: 50 }, () => adjust(body, key)));
      expect(results.map((r) => r.status)).toEqual(Array(50).fill(201));
      expect(new Set(results.map((r) => r.text)).size).toBe(1);
      expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(49);
      expect(await entries(user.id)).toBe(1);
      const wallet = await app.request('GET', '/v1/wallet', { token: user.accessToken });
      expect(wallet.body.balances).toEqual([{ amount: 999, currency: 'CNY' }]);
    });

    it('replays a business refusal too (the first response is the answer), but gives the key back after bad input', async () => {
      const user = await registerUser(app);
      const key = randomUUID();
      const debit = { userId: user.id, direction: 'DEBIT', amount: 50, currency: 'CNY', reason: 'too early' };
      expectError(await adjust(debit, key), 402, 'INSUFFICIENT_FUNDS');
      await adjust({ userId: user.id, direction: 'CREDIT', amount: 100, currency: 'CNY', reason: 'now funded' });
      const replay = await adjust(debit, key);
      expectError(replay, 402, 'INSUFFICIENT_FUNDS');
      expect(replay.headers.get('idempotent-replayed')).toBe('true');

      const badKey = randomUUID();
      expectError(await adjust({ ...debit, amount: 1.5 }, badKey), 400, 'VALIDATION_FAILED');
      const fixed = await adjust({ ...debit, amount: 1 }, badKey);
      expect(fixed.status).toBe(201);
    });

    it('claims that arrive together share a statement; two claims of one key in it: one holds it, the other finds it held', async () => {
      const idempotency = app.api.app.get(IdempotencyService);
      const scope = `test:${randomUUID()}`;
      const keys = Array.from({ length: 10 }, () => randomUUID());
      const hash = Buffer.from('same request');
      const before = await groupCommitted(app, 'common_idempotency_claim');
      // the first goes at once, alone; the rest wait for its statement and go together, the repeated key among them
      const claims = await Promise.all([...keys, keys[9]!].map((key) => idempotency.claim(scope, key, hash)));
      const after = await groupCommitted(app, 'common_idempotency_claim');
      expect(after.requests - before.requests).toBe(11);
      expect(after.statements - before.statements).toBeLessThan(11);
      expect(claims.slice(0, 10).map((c) => c.kind)).toEqual(keys.map(() => 'claimed'));
      expect(claims[10]!.kind).toBe('in-progress');
      const rows = (await app.api.app.get(DataSource).query(`SELECT key, claim FROM common.idempotency_keys WHERE scope = $1`, [scope])) as { key: string; claim: string }[];
      expect(new Map(rows.map((r) => [r.key, r.claim]))).toEqual(new Map(keys.map((key, i) => [key, (claims[i] as { claim: string }).claim])));
      // the requests are over: their claims no longer follow this process
      for (const c of claims) if (c.kind === 'claimed') idempotency.finished({ claim: c.claim } as Parameters<IdempotencyService['finished']>[0]);
    });

    it('claims of different keys in one statement go as one set, each with the rule of a claim on its own', async () => {
      const ds = app.api.app.get(DataSource);
      const scope = `test:${randomUUID()}`;
      const hash = Buffer.from('same request');
      const [fresh, live, expired, lapsed, completed, otherRequest, ownerGone] = Array.from({ length: 7 }, () => randomUUID());
      const [{ pid, started }] = (await ds.query(`SELECT pg_backend_pid() AS pid, backend_start::text AS started FROM pg_stat_activity WHERE pid = pg_backend_pid()`)) as {
        pid: number;
        started: string; // as text: a Date would lose the microseconds the owner check compares
      }[];
      const held = (key: string, row: { status?: string; lockedFor?: string; age?: string; ownerPid?: number; ownerStarted?: string; hash?: Buffer }) =>
        ds.query(
          `INSERT INTO common.idempotency_keys (scope, key, request_hash, claim, status, locked_until, response_status, response_body, created_at, owner_pid, owner_started)
           VALUES ($1, $2, $3, gen_random_uuid(), $4, now() + $5::interval, CASE WHEN $4 = 'COMPLETED' THEN 201 END, CASE WHEN $4 = 'COMPLETED' THEN '{}'::json END,
                   now() - $6::interval, $7, $8)`,
          [scope, key, row.hash ?? hash, row.status ?? 'IN_PROGRESS', row.lockedFor ?? '1 minute', row.age ?? '0 seconds', row.ownerPid ?? null, row.ownerStarted ?? null],
        );
      await held(live!, { ownerPid: pid, ownerStarted: started }); // a running request: held
      await held(expired!, { status: 'COMPLETED', age: '25 hours' }); // past its 24 hours: taken
      await held(lapsed!, { lockedFor: '-1 second' }); // its lock ran out: taken
      await held(completed!, { status: 'COMPLETED' }); // answered: held (replayed)
      await held(otherRequest!, { lockedFor: '-1 second', hash: Buffer.from('another request') }); // another body's: held
      await held(ownerGone!, { ownerPid: 2147483000, ownerStarted: started }); // its owner's backend is gone: taken
      const keys = [fresh!, live!, expired!, lapsed!, completed!, otherRequest!, ownerGone!];
      const claims = keys.map(() => randomUUID());
      // one statement for the set: common.idempotency_claim(), the claim on its own, is not called (counted by track_functions)
      const { rows, singles } = await ds.transaction(async (m) => {
        await m.query(`SET LOCAL track_functions = 'pl'`);
        const answered = (await m.query(
          `SELECT ord, claim FROM common.idempotency_claim_batch($1::text[], $2::text[], $3::bytea[], $4::uuid[], $5::int[], $6::timestamptz[], 30, 24)`,
          [keys.map(() => scope), keys, keys.map(() => hash), claims, keys.map(() => pid), keys.map(() => started)],
        )) as { ord: number; claim: string | null }[];
        const [counted] = (await m.query(
          `SELECT COALESCE(sum(calls), 0)::int AS n FROM pg_stat_xact_user_functions WHERE schemaname = 'common' AND funcname = 'idempotency_claim'`,
        )) as { n: number }[];
        return { rows: answered, singles: counted!.n };
      });
      expect(singles).toBe(0);
      const taken = [true, false, true, true, false, false, true];
      expect(rows).toEqual(keys.map((_, i) => ({ ord: i + 1, claim: taken[i] ? claims[i] : null })));
      const stored = (await ds.query(`SELECT key, claim, status FROM common.idempotency_keys WHERE scope = $1`, [scope])) as { key: string; claim: string; status: string }[];
      for (const [i, key] of keys.entries()) {
        const row = stored.find((r) => r.key === key)!;
        if (taken[i]) expect(row).toEqual({ key, claim: claims[i], status: 'IN_PROGRESS' });
        else expect(row.claim).not.toBe(claims[i]);
      }
    });

    it('forgets keys after 24 hours: the key may then be used afresh, and the purge job removes them', async () => {
      const user = await registerUser(app);
      const key = randomUUID();
      await adjust({ userId: user.id, direction: 'CREDIT', amount: 5, currency: 'CNY', reason: 'day one' }, key);
      const ds = app.api.app.get(DataSource);
      await ds.query(`UPDATE common.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [key]);
      const later = await adjust({ userId: user.id, direction: 'CREDIT', amount: 6, currency: 'CNY', reason: 'day two' }, key);
      expect(later.status).toBe(201);
      expect(later.headers.get('idempotent-replayed')).toBeNull();
      await ds.query(`UPDATE common.idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1`, [key]);
      const purged = await app.api.app.get(IdempotencyService).purgeExpired();
      expect(purged).toBeGreaterThanOrEqual(1);
      const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM common.idempotency_keys WHERE key = $1`, [key])) as { n: number }[];
      expect(n).toBe(0);
    });

    it('fails loudly (500) when an @Idempotent() route forgets to store its response, yet a retry replays instead of acting again', async () => {
      const user = await registerUser(app);
      const key = randomUUID();
      const call = () => app.request('POST', '/probe/slow/forgetful', { token: user.accessToken, headers: { 'idempotency-key': key } });
      expectError(await call(), 500, 'INTERNAL_ERROR');
      expect(JSON.stringify(app.logs)).toContain('committed without IdempotencyService.record()');
      const retry = await call();
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
    });

    it('scopes keys to the caller: another caller may use the same key', async () => {
      const user = await registerUser(app);
      const otherAdmin = await registerUser(app);
      await app.api.app.get(DataSource).query(`INSERT INTO identity.role_grants (user_id, role) VALUES ($1, 'PLATFORM_ADMIN')`, [otherAdmin.id]);
      const key = randomUUID();
      const body = { userId: user.id, direction: 'CREDIT', amount: 10, currency: 'CNY', reason: 'shared key' };
      expect((await adjust(body, key)).status).toBe(201);
      const other = await adjust(body, key, otherAdmin.accessToken);
      expect(other.status).toBe(201);
      expect(other.headers.get('idempotent-replayed')).toBeNull();
      expect(await entries(user.id)).toBe(2);
    });
  });
});

describe('Idempotency-Key while the first request is still running', () => {
  it('answers 409 IDEMPOTENCY_IN_PROGRESS when duplicates may not wait, then replays the result', async () => {
    const app = await startApp({ IDEMPOTENCY_WAIT_MS: '0' }, { imports: [KycProbeModule] });
    try {
      const user = await registerUser(app);
      const key = randomUUID();
      const call = () => app.request('POST', '/probe/slow', { token: user.accessToken, headers: { 'idempotency-key': key } });
      const first = call();
      await new Promise((r) => setTimeout(r, 100));
      expectError(await call(), 409, 'IDEMPOTENCY_IN_PROGRESS');
      const done = await first;
      expect(done.status).toBe(201);
      const replay = await call();
      expect(replay.body).toEqual(done.body);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
    } finally {
      await app.close();
    }
  });
});
