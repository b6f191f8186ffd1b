import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { checkHkMoPermit, checkIdNumber, checkPassport, checkPrcId, maskIdNumber } from './id-number.js';

const TODAY = new Date('2026-11-21T00:00:00Z');

/** Builds a valid PRC ID from its first 17 digits. */
function withCheck(first17: string): string {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * w[i], 0);
  return first17 + '10X98765432'[sum % 11];
}

describe('checkPrcId (GB 11643-1999)', () => {
  it('accepts the standard example and its X check character, in either case', () => {
    expect(checkPrcId('11010519491231002X', TODAY)).toEqual({ ok: true, normalized: '11010519491231002X' });
    expect(checkPrcId('11010519491231002x', TODAY)).toEqual({ ok: true, normalized: '11010519491231002X' });
    expect(checkPrcId(withCheck('44030419900101123'), TODAY).ok).toBe(true);
  });

  it('refuses a wrong check digit', () => {
    expect(checkPrcId('110105194912310021', TODAY)).toMatchObject({ ok: false, reason: 'check digit does not match' });
  });

  it('refuses impossible, future and too-old birth dates even with a right check digit', () => {
    expect(checkPrcId(withCheck('11010519990230123'), TODAY)).toMatchObject({ reason: 'birth date is not a calendar date' });
    expect(checkPrcId(withCheck('11010519991301123'), TODAY)).toMatchObject({ reason: 'birth date is not a calendar date' });
    expect(checkPrcId(withCheck('11010520270101123'), TODAY)).toMatchObject({ reason: 'birth date is in the future' });
    expect(checkPrcId(withCheck('11010518960101123'), TODAY)).toMatchObject({ reason: 'birth date is more than 130 years ago' });
    expect(checkPrcId(withCheck('11010520000229123'), TODAY).ok).toBe(true); // leap day
    expect(checkPrcId(withCheck('11010519000229123'), TODAY).ok).toBe(false); // 1900 was not a leap year
  });

  it('refuses wrong shapes', () => {
    for (const bad of ['', '123', '11010519491231002', '1101051949123100XX', '01010519491231002X', '11010519491231002Y']) {
      expect(checkPrcId(bad, TODAY).ok).toBe(false);
    }
  });

  it('detects every single-digit substitution (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 }), fc.integer({ min: 1, max: 9 }), (pos, delta) => {
        const good = withCheck('11010519491231002');
        const digit = (Number(good[pos]) + delta) % 10;
        const altered = good.slice(0, pos) + digit + good.slice(pos + 1);
        return !checkPrcId(altered, TODAY).ok || altered === good;
      }),
    );
  });
});

describe('other documents', () => {
  it('checks HK/Macao permits: H or M and 8 or 10 digits', () => {
    expect(checkHkMoPermit('H12345678').ok).toBe(true);
    expect(checkHkMoPermit('m1234567890').ok).toBe(true);
    expect(checkHkMoPermit('H123456789').ok).toBe(false);
    expect(checkHkMoPermit('K12345678').ok).toBe(false);
  });

  it('checks passports: 5 to 20 letters or digits', () => {
    expect(checkPassport('E12345678').ok).toBe(true);
    expect(checkPassport('E123').ok).toBe(false);
    expect(checkPassport('E1234-5678').ok).toBe(false);
    expect(checkIdNumber('PASSPORT', 'x'.repeat(21)).ok).toBe(false);
    // a PRC ID number is only ever a PRC_ID (else its checks could be skipped)
    expect(checkPassport('110105199001011230').ok).toBe(false);
    expect(checkPassport('11010519491231002x').ok).toBe(false);
  });
});

describe('maskIdNumber', () => {
  it('shows at most the first and last 2 characters', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('11**************2X');
    expect(maskIdNumber('E1234')).toBe('E***4');
  });
});
