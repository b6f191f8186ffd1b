import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { decideAmount } from '../../libs/billing/src/domain/amount-rule.js';
import { freshDatabase } from '../support/database.js';

/**
 * The amount rules live twice: domain/amount-rule.ts (quick refusals of a
 * provider payment, the capture hook) and billing.decide_amount() in SQL
 * (inside pay_from_wallet, under the bill's row lock). They must decide the
 * same on every case: the same amount, or the same refusal.
 */
describe('billing: the amount rules in SQL decide as domain/amount-rule.ts does', () => {
  let db: pg.Client;

  beforeAll(async () => {
    db = new pg.Client({ connectionString: (await freshDatabase()).url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
  });

  it('on every combination of outstanding, requested and rules', async () => {
    const cases: [bigint, bigint | undefined, boolean, boolean][] = [];
    for (const outstanding of [-5n, 0n, 1n, 100n, 10_000n])
      for (const requested of [undefined, 1n, 99n, 100n, 101n, 20_000n])
        for (const allowsPartial of [false, true]) for (const allowsAdvance of [false, true]) cases.push([outstanding, requested, allowsPartial, allowsAdvance]);
    for (const [outstanding, requested, allowsPartial, allowsAdvance] of cases) {
      const expected = decideAmount(outstanding, requested, { allowsPartial, allowsAdvance });
      const actual = await db
        .query(`SELECT billing.decide_amount($1, $2, $3, $4)::text AS amount`, [outstanding.toString(), requested?.toString() ?? null, allowsPartial, allowsAdvance])
        .then(
          (r) => ({ ok: true, amount: BigInt(r.rows[0].amount as string) }),
          (err: { code?: string; message?: string; detail?: string }) => {
            expect(['BP409', 'BP422']).toContain(err.code);
            expect(err.detail).toBe(outstanding.toString());
            return { ok: false, code: err.message };
          },
        );
      expect({ case: { outstanding, requested, allowsPartial, allowsAdvance }, decision: actual }).toEqual({
        case: { outstanding, requested, allowsPartial, allowsAdvance },
        decision: expected,
      });
    }
  });
});
