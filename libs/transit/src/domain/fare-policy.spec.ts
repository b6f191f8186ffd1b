import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Money, ValidationFailedError } from '@app/common';
import { type FarePolicyVersion, farePolicyToJson, parseFarePolicy, policyAt, validateFarePolicy } from './fare-policy.js';

const full = {
  transfer: { windowMinutes: 90, discount: { amount: 100, currency: 'CNY' } },
  dailyCap: { amount: 1500, currency: 'CNY' },
  concessions: { SENIOR: { percentOff: 100, minAge: 65 } },
};

function fieldsOf(raw: unknown, currency?: 'CNY' | 'HKD'): string[] {
  const result = validateFarePolicy(raw, { currency });
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.details.map((d) => d.field);
}

describe('validateFarePolicy', () => {
  it('takes a full policy, money as Money', () => {
    expect(validateFarePolicy(full, { currency: 'CNY' })).toEqual({
      ok: true,
      policy: {
        transfer: { windowMinutes: 90, discount: Money.of(100, 'CNY') },
        dailyCap: Money.of(1500, 'CNY'),
        concessions: { SENIOR: { percentOff: 100, minAge: 65 } },
      },
    });
  });

  it('takes an empty policy, null parts as absent, and defaults minAge to 60', () => {
    expect(validateFarePolicy({})).toEqual({ ok: true, policy: {} });
    expect(validateFarePolicy({ transfer: null, dailyCap: null, concessions: null })).toEqual({ ok: true, policy: {} });
    expect(validateFarePolicy({ concessions: { SENIOR: { percentOff: 50 } } })).toEqual({
      ok: true,
      policy: { concessions: { SENIOR: { percentOff: 50, minAge: 60 } } },
    });
    expect(validateFarePolicy({ concessions: {} })).toEqual({ ok: true, policy: {} });
  });

  it('accepts the bounds: windowMinutes 1 and 180, percentOff 0 and 100', () => {
    for (const windowMinutes of [1, 180]) {
      expect(validateFarePolicy({ transfer: { ...full.transfer, windowMinutes } }).ok).toBe(true);
    }
    for (const percentOff of [0, 100]) expect(validateFarePolicy({ concessions: { SENIOR: { percentOff } } }).ok).toBe(true);
  });

  it.each([
    [{ transfer: { ...full.transfer, windowMinutes: 0 } }, 'transfer.windowMinutes'],
    [{ transfer: { ...full.transfer, windowMinutes: 181 } }, 'transfer.windowMinutes'],
    [{ transfer: { ...full.transfer, windowMinutes: 1.5 } }, 'transfer.windowMinutes'],
    [{ transfer: { ...full.transfer, windowMinutes: '30' } }, 'transfer.windowMinutes'],
    [{ transfer: { windowMinutes: 30 } }, 'transfer.discount'],
    [{ transfer: { ...full.transfer, discount: { amount: 0, currency: 'CNY' } } }, 'transfer.discount.amount'],
    [{ transfer: { ...full.transfer, discount: { amount: -1, currency: 'CNY' } } }, 'transfer.discount.amount'],
    [{ transfer: { ...full.transfer, discount: { amount: 1.5, currency: 'CNY' } } }, 'transfer.discount.amount'],
    [{ transfer: { ...full.transfer, discount: { amount: 100, currency: 'USD' } } }, 'transfer.discount.currency'],
    [{ transfer: { ...full.transfer, discount: 100 } }, 'transfer.discount'],
    [{ transfer: { ...full.transfer, extra: true } }, 'transfer.extra'],
    [{ transfer: 30 }, 'transfer'],
    [{ dailyCap: { amount: 100_000_001, currency: 'CNY' } }, 'dailyCap.amount'],
    [{ dailyCap: { amount: '1500', currency: 'CNY' } }, 'dailyCap.amount'],
    [{ dailyCap: { amount: 1500, currency: 'CNY', note: 'x' } }, 'dailyCap.note'],
    [{ dailyCap: { amount: 1500 } }, 'dailyCap.currency'],
    [{ concessions: { SENIOR: { percentOff: 101 } } }, 'concessions.SENIOR.percentOff'],
    [{ concessions: { SENIOR: { percentOff: -1 } } }, 'concessions.SENIOR.percentOff'],
    [{ concessions: { SENIOR: { percentOff: 12.5 } } }, 'concessions.SENIOR.percentOff'],
    [{ concessions: { SENIOR: {} } }, 'concessions.SENIOR.percentOff'],
    [{ concessions: { SENIOR: { percentOff: 50, minAge: -1 } } }, 'concessions.SENIOR.minAge'],
    [{ concessions: { SENIOR: { percentOff: 50, minAge: 60.5 } } }, 'concessions.SENIOR.minAge'],
    [{ concessions: { SENIOR: { percentOff: 50, minAge: 151 } } }, 'concessions.SENIOR.minAge'],
    [{ concessions: { STUDENT: { percentOff: 50 } } }, 'concessions.STUDENT'],
    [{ concessions: { SENIOR: true } }, 'concessions.SENIOR'],
    [{ concessions: [] }, 'concessions'],
    [{ surcharge: 1 }, 'surcharge'],
    [[], 'body'],
    ['x', 'body'],
  ])('refuses %p naming %s', (raw, field) => {
    expect(fieldsOf(raw)).toContain(field);
  });

  it("refuses money not in the operator's currency", () => {
    expect(validateFarePolicy(full, { currency: 'HKD' })).toEqual({
      ok: false,
      details: [
        { field: 'transfer.discount.currency', problems: ["must be the operator's currency, HKD"] },
        { field: 'dailyCap.currency', problems: ["must be the operator's currency, HKD"] },
      ],
    });
    expect(fieldsOf({ ...full, dailyCap: { amount: 1500, currency: 'HKD' } })).toEqual(['dailyCap.currency']);
  });

  it('reports every problem at once, one entry per field', () => {
    const fields = fieldsOf({
      transfer: { windowMinutes: 0, discount: { amount: 0, currency: 'XXX' } },
      dailyCap: { amount: -3, currency: 'CNY' },
      concessions: { SENIOR: { percentOff: 200, minAge: 'old' } },
      x: 1,
    });
    expect(fields.sort()).toEqual(
      [
        'x',
        'transfer.windowMinutes',
        'transfer.discount.amount',
        'transfer.discount.currency',
        'dailyCap.amount',
        'concessions.SENIOR.percentOff',
        'concessions.SENIOR.minAge',
      ].sort(),
    );
  });

  it('parseFarePolicy throws ValidationFailedError with the details', () => {
    expect(parseFarePolicy(full).dailyCap?.amount).toBe(1500n);
    let caught: unknown;
    try {
      parseFarePolicy({ dailyCap: { amount: 0, currency: 'CNY' } });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ValidationFailedError);
    expect(caught).toMatchObject({ code: 'VALIDATION_FAILED', status: 400, details: [{ field: 'dailyCap.amount' }] });
  });

  it('round-trips through its JSON form (property)', () => {
    const money = fc.record({ amount: fc.integer({ min: 1, max: 100_000_000 }), currency: fc.constant('MOP') });
    const body = fc.record(
      {
        transfer: fc.record({ windowMinutes: fc.integer({ min: 1, max: 180 }), discount: money }),
        dailyCap: money,
        concessions: fc.record({ SENIOR: fc.record({ percentOff: fc.integer({ min: 0, max: 100 }), minAge: fc.integer({ min: 0, max: 150 }) }) }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(body, (raw) => {
        const policy = parseFarePolicy(raw, { currency: 'MOP' });
        expect(farePolicyToJson(policy)).toEqual(raw);
        expect(JSON.parse(JSON.stringify(policy))).toEqual(raw);
      }),
    );
  });
});

describe('policyAt', () => {
  const v = (iso: string, amount: number): FarePolicyVersion => ({ effectiveFrom: new Date(iso), policy: { dailyCap: Money.of(amount, 'CNY') } });
  const versions = [v('2026-12-01T02:00:00Z', 800), v('2026-11-01T00:00:00Z', 1000), v('2026-12-01T05:00:00Z', 600)];

  it('is the latest version in force at the boarding time, whatever the list order', () => {
    expect(policyAt(versions, new Date('2026-12-01T03:00:00Z'))?.dailyCap?.amount).toBe(800n);
    expect(policyAt(versions, new Date('2026-12-01T05:00:00Z'))?.dailyCap?.amount).toBe(600n);
    expect(policyAt([...versions].reverse(), new Date('2026-12-01T04:59:59Z'))?.dailyCap?.amount).toBe(800n);
    expect(policyAt(versions, new Date('2026-11-15T00:00:00Z'))?.dailyCap?.amount).toBe(1000n);
  });

  it('is null before the first version', () => {
    expect(policyAt(versions, new Date('2026-10-31T23:59:59Z'))).toBeNull();
    expect(policyAt([], new Date())).toBeNull();
  });
});
