import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  HELD_TAP_OUT_TTL_MS,
  TAP_OUT_LIMIT_MS,
  heldTapOutsExpireBefore,
  checkCodeTime,
  checkCredentialUse,
  codeAcceptWindow,
  isTapOutOverdue,
  matchHeldTapOut,
  matchTapOut,
  overdueBefore,
  tapOutDeadline,
} from './tap-rules.js';

const boardedAt = new Date('2026-12-01T00:00:00Z');
const plus = (ms: number) => new Date(boardedAt.getTime() + ms);
const HOUR = 3600_000;

describe('tap-out overdue', () => {
  it('is overdue only after more than 4 hours', () => {
    expect(tapOutDeadline(boardedAt)).toEqual(plus(4 * HOUR));
    expect(isTapOutOverdue({ boardedAt }, plus(4 * HOUR - 1))).toBe(false);
    expect(isTapOutOverdue({ boardedAt }, plus(4 * HOUR))).toBe(false);
    expect(isTapOutOverdue({ boardedAt }, plus(4 * HOUR + 1))).toBe(true);
    expect(isTapOutOverdue({ boardedAt }, plus(30 * HOUR))).toBe(true);
  });

  it('agrees with the SQL bound overdueBefore (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -HOUR, max: 10 * HOUR }), (elapsed) => {
        const now = plus(elapsed);
        expect(isTapOutOverdue({ boardedAt }, now)).toBe(boardedAt < overdueBefore(now));
      }),
    );
  });
});

describe('matchTapOut', () => {
  const open = [
    { id: 'a', routeId: 'R1', boardedAt },
    { id: 'b', routeId: 'R1', boardedAt: plus(2 * HOUR) },
    { id: 'c', routeId: 'R2', boardedAt: plus(2.5 * HOUR) },
  ];

  it('closes the latest open tap-in of the same route boarded before it', () => {
    expect(matchTapOut(open, { routeId: 'R1', scannedAt: plus(2 * HOUR + 1) })?.id).toBe('b');
    expect(matchTapOut(open, { routeId: 'R1', scannedAt: plus(HOUR) })?.id).toBe('a');
    expect(matchTapOut(open, { routeId: 'R2', scannedAt: plus(3 * HOUR) })?.id).toBe('c');
  });

  it('matches nothing on another route, before the boarding, or more than 4 hours after it', () => {
    expect(matchTapOut(open, { routeId: 'R3', scannedAt: plus(3 * HOUR) })).toBeNull();
    expect(matchTapOut(open, { routeId: 'R2', scannedAt: plus(2 * HOUR) })).toBeNull();
    expect(matchTapOut(open, { routeId: 'R1', scannedAt: plus(6 * HOUR) })?.id).toBe('b');
    expect(matchTapOut(open, { routeId: 'R1', scannedAt: plus(6 * HOUR + 1) })).toBeNull();
    expect(matchTapOut([], { routeId: 'R1', scannedAt: plus(1) })).toBeNull();
  });

  it('matches at exactly 4 hours, the tap-in then not yet overdue', () => {
    const out = { routeId: 'R1', scannedAt: plus(TAP_OUT_LIMIT_MS) };
    expect(matchTapOut([open[0]], out)?.id).toBe('a');
    expect(isTapOutOverdue(open[0], out.scannedAt)).toBe(false);
  });

  it('does not depend on the order the tap-ins are listed in (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 12 * 60 }), { minLength: 0, maxLength: 8 }),
        fc.integer({ min: 0, max: 12 * 60 }),
        fc.func(fc.boolean()),
        (minutes, outMinute, onR1) => {
          const ins = minutes.map((m) => ({ routeId: onR1(m) ? 'R1' : 'R2', boardedAt: plus(m * 60_000) }));
          const out = { routeId: 'R1', scannedAt: plus(outMinute * 60_000) };
          const got = matchTapOut(ins, out);
          const reversed = matchTapOut([...ins].reverse(), out);
          expect(reversed).toBe(got);
          const candidates = ins.filter((i) => i.routeId === 'R1' && i.boardedAt <= out.scannedAt && out.scannedAt.getTime() - i.boardedAt.getTime() <= TAP_OUT_LIMIT_MS);
          expect(got === null).toBe(candidates.length === 0);
          if (got) expect(candidates.every((c) => c.boardedAt <= got.boardedAt)).toBe(true);
        },
      ),
    );
  });
});

describe('matchHeldTapOut', () => {
  const held = (routeId: string, ms: number) => ({ routeId, scannedAt: plus(ms) });
  it('closes with the first held tap-out of the route at or after boarding, within 4 h inclusive', () => {
    const a = held('r1', 30 * 60_000);
    const b = held('r1', 10 * 60_000);
    expect(matchHeldTapOut([a, b, held('r2', 60_000)], { routeId: 'r1', boardedAt })).toBe(b);
    expect(matchHeldTapOut([held('r1', 0)], { routeId: 'r1', boardedAt })).not.toBeNull();
    expect(matchHeldTapOut([held('r1', TAP_OUT_LIMIT_MS)], { routeId: 'r1', boardedAt })).not.toBeNull();
  });
  it('never a tap-out before the boarding, more than 4 h after, or on another route', () => {
    expect(matchHeldTapOut([held('r1', -1), held('r1', TAP_OUT_LIMIT_MS + 1), held('r2', 60_000)], { routeId: 'r1', boardedAt })).toBeNull();
  });
  it('is the inverse of matchTapOut for one ride: the IN found by its OUT finds that OUT', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: TAP_OUT_LIMIT_MS }), (ms) => {
        const out = held('r1', ms);
        const tapIn = { routeId: 'r1', boardedAt };
        return matchTapOut([tapIn], { routeId: 'r1', scannedAt: out.scannedAt }) === tapIn && matchHeldTapOut([out], tapIn) === out;
      }),
    );
  });
});

describe('code time window', () => {
  const iat = 1_796_000_000; // seconds
  const s = (sec: number) => new Date((iat + sec) * 1000);

  it('accepts from iat - 5 s to exp + grace, both ends included', () => {
    expect(codeAcceptWindow({ iat, exp: iat + 60 }, 30)).toEqual({ notBefore: s(-5), notAfter: s(90) });
    expect(checkCodeTime(s(-5), { iat, exp: iat + 60 }, 30)).toEqual({ ok: true });
    expect(checkCodeTime(s(90), { iat, exp: iat + 60 }, 30)).toEqual({ ok: true });
    expect(checkCodeTime(s(30), { iat, exp: iat + 60 }, 0)).toEqual({ ok: true });
  });

  it('is CODE_EXPIRED after 60 s + grace, INVALID_CODE before iat - 5 s', () => {
    expect(checkCodeTime(new Date(s(90).getTime() + 1), { iat, exp: iat + 60 }, 30)).toEqual({ ok: false, reason: 'CODE_EXPIRED' });
    expect(checkCodeTime(new Date(s(60).getTime() + 1), { iat, exp: iat + 60 }, 0)).toEqual({ ok: false, reason: 'CODE_EXPIRED' });
    expect(checkCodeTime(new Date(s(-5).getTime() - 1), { iat, exp: iat + 60 }, 30)).toEqual({ ok: false, reason: 'INVALID_CODE' });
  });

  it('treats a proof with only iat as living 60 s, and never lets exp stretch a code past iat + 60', () => {
    expect(codeAcceptWindow({ iat }, 10).notAfter).toEqual(s(70));
    expect(checkCodeTime(s(3600), { iat, exp: iat + 3600 }, 30)).toEqual({ ok: false, reason: 'CODE_EXPIRED' });
    expect(codeAcceptWindow({ iat, exp: iat + 30 }, 0).notAfter).toEqual(s(30));
  });

  it('refuses a grace above 30 s or not whole seconds, and claims that are not integers', () => {
    expect(() => codeAcceptWindow({ iat }, 31)).toThrow(RangeError);
    expect(() => codeAcceptWindow({ iat }, -1)).toThrow(RangeError);
    expect(() => codeAcceptWindow({ iat }, 1.5)).toThrow(RangeError);
    expect(checkCodeTime(s(0), { iat: iat + 0.5 }, 0)).toEqual({ ok: false, reason: 'INVALID_CODE' });
    expect(checkCodeTime(s(0), { iat, exp: Number.NaN }, 0)).toEqual({ ok: false, reason: 'INVALID_CODE' });
  });

  it('accepts exactly the scans inside the window (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -20_000, max: 120_000 }), fc.integer({ min: 0, max: 30 }), (offsetMs, grace) => {
        const decision = checkCodeTime(new Date(iat * 1000 + offsetMs), { iat, exp: iat + 60 }, grace);
        const expected = offsetMs < -5000 ? 'INVALID_CODE' : offsetMs > (60 + grace) * 1000 ? 'CODE_EXPIRED' : 'OK';
        expect(decision.ok ? 'OK' : decision.reason).toBe(expected);
      }),
    );
  });
});

describe('checkCredentialUse', () => {
  const exp = 1_796_086_400;
  const before = new Date((exp - 1) * 1000);
  it('accepts a counter 1..max before the credential expires', () => {
    expect(checkCredentialUse(before, { exp, max: 200 }, 1)).toEqual({ ok: true });
    expect(checkCredentialUse(before, { exp, max: 200 }, 200)).toEqual({ ok: true });
  });
  it('refuses at or after expiry, and a counter of 0, above max, or not an integer', () => {
    expect(checkCredentialUse(new Date(exp * 1000), { exp, max: 200 }, 1)).toEqual({ ok: false, reason: 'INVALID_CODE' });
    for (const n of [0, 201, 1.5, -1]) expect(checkCredentialUse(before, { exp, max: 200 }, n)).toEqual({ ok: false, reason: 'INVALID_CODE' });
  });
});

describe('held tap-outs expiry', () => {
  it('expires a held tap-out 24 h after its scan, not before', () => {
    const now = new Date('2026-12-01T08:00:00Z');
    const before = heldTapOutsExpireBefore(now);
    expect(before.toISOString()).toBe('2026-11-30T08:00:00.000Z');
    expect(HELD_TAP_OUT_TTL_MS).toBeGreaterThan(TAP_OUT_LIMIT_MS);
  });
});
