/**
 * The pure parts of the tap rules (api.md "Transit", paycode.md): when a
 * DISTANCE tap-in is overdue for its tap-out, which open tap-in a tap-out
 * closes, and when a scanned code is within its time window.
 */

/** A DISTANCE tap-in with no tap-out within this long is charged the route's maxAmount. */
export const TAP_OUT_LIMIT_MS = 4 * 3600_000;

/** Lifetime of a ride code: exp = iat + 60 (server codes) and the proof window of phone-minted codes. */
export const CODE_LIFETIME_SECONDS = 60;
/** A reader accepts a code from iat - 5 s (clocks differ a little). */
export const CODE_EARLY_SECONDS = 5;
/** The grace after expiry is at most 30 s (api.md). */
export const MAX_CODE_GRACE_SECONDS = 30;

/** The instant after which a tap-in boarded at `boardedAt` is overdue: boardedAt + 4 h (a tap-out at exactly 4 h is still in time). */
export function tapOutDeadline(boardedAt: Date): Date {
  return new Date(boardedAt.getTime() + TAP_OUT_LIMIT_MS);
}

/** Whether an open tap-in (no tap-out yet) is overdue at `now`: more than 4 h since boarding. */
export function isTapOutOverdue(openIn: { boardedAt: Date }, now: Date): boolean {
  return now.getTime() > tapOutDeadline(openIn.boardedAt).getTime();
}

/**
 * For the overdue job, as a SQL bound: open tap-ins with `boarded_at < overdueBefore(now)`
 * are exactly those isTapOutOverdue at `now`.
 */
export function overdueBefore(now: Date): Date {
  return new Date(now.getTime() - TAP_OUT_LIMIT_MS);
}

export interface OpenTapIn {
  routeId: string;
  boardedAt: Date;
}

/**
 * The open tap-in (of one rider, pending its tap-out) that a tap-out on
 * `out.routeId` scanned at `out.scannedAt` closes: on the same route,
 * boarded at or before the tap-out and at most 4 h before it; of those, the
 * latest boarded (an older one left open was a forgotten tap-out and stays for
 * the overdue job). Null when none matches. Decided by scan times, so a batch
 * uploaded late or out of order matches as it would have online.
 */
export function matchTapOut<T extends OpenTapIn>(openIns: readonly T[], out: { routeId: string; scannedAt: Date }): T | null {
  const t = out.scannedAt.getTime();
  let best: T | null = null;
  for (const tapIn of openIns) {
    const b = tapIn.boardedAt.getTime();
    if (tapIn.routeId !== out.routeId || b > t || t - b > TAP_OUT_LIMIT_MS) continue;
    if (!best || b > best.boardedAt.getTime()) best = tapIn;
  }
  return best;
}

/**
 * A held tap-out (uploaded before its tap-in) waits this long after its scan
 * for the tap-in, which an offline reader may upload hours late; then the
 * job drops it, answering its tap REJECTED NO_TAP_IN (nothing was boarded,
 * nothing is charged).
 */
export const HELD_TAP_OUT_TTL_MS = 24 * 3600_000;

/** Held tap-outs scanned before this instant are expired at `now`. */
export function heldTapOutsExpireBefore(now: Date): Date {
  return new Date(now.getTime() - HELD_TAP_OUT_TTL_MS);
}

export interface HeldOut {
  routeId: string;
  scannedAt: Date;
}

/**
 * The held tap-out (of one rider, uploaded before its tap-in) that a tap-in
 * on `tapIn.routeId` boarded at `tapIn.boardedAt` closes: on the same route,
 * scanned at or after the boarding and at most 4 h after it; of those, the
 * earliest (the first tap-out after boarding ends the ride). Null when none.
 */
export function matchHeldTapOut<T extends HeldOut>(held: readonly T[], tapIn: { routeId: string; boardedAt: Date }): T | null {
  const b = tapIn.boardedAt.getTime();
  let best: T | null = null;
  for (const out of held) {
    const t = out.scannedAt.getTime();
    if (out.routeId !== tapIn.routeId || t < b || t - b > TAP_OUT_LIMIT_MS) continue;
    if (!best || t < best.scannedAt.getTime()) best = out;
  }
  return best;
}

function checkGrace(graceSeconds: number): void {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_CODE_GRACE_SECONDS) {
    throw new RangeError(`code grace must be an integer of seconds, 0 to ${MAX_CODE_GRACE_SECONDS}; got ${graceSeconds}`);
  }
}

/**
 * The instants [notBefore, notAfter] (both inclusive) in which a code issued at
 * `iat` (seconds) is accepted: from iat - 5 s to its expiry plus the grace.
 * The expiry is `exp` when given but never later than iat + 60 (a server code
 * has exp = iat + 60; a phone-minted proof carries only iat).
 */
export function codeAcceptWindow(claims: { iat: number; exp?: number }, graceSeconds: number): { notBefore: Date; notAfter: Date } {
  checkGrace(graceSeconds);
  const latestExp = claims.iat + CODE_LIFETIME_SECONDS;
  const exp = claims.exp === undefined ? latestExp : Math.min(claims.exp, latestExp);
  return { notBefore: new Date((claims.iat - CODE_EARLY_SECONDS) * 1000), notAfter: new Date((exp + graceSeconds) * 1000) };
}

export type CodeTimeDecision = { ok: true } | { ok: false; reason: 'CODE_EXPIRED' | 'INVALID_CODE' };

/**
 * Whether a code scanned at `scannedAt` is within its window: after it,
 * CODE_EXPIRED; before iat - 5 s (a code from the future: a wrong clock or a
 * forgery), INVALID_CODE. Claims that are not integers of seconds are INVALID_CODE.
 */
export function checkCodeTime(scannedAt: Date, claims: { iat: number; exp?: number }, graceSeconds: number): CodeTimeDecision {
  if (!Number.isSafeInteger(claims.iat) || (claims.exp !== undefined && !Number.isSafeInteger(claims.exp))) {
    return { ok: false, reason: 'INVALID_CODE' };
  }
  const { notBefore, notAfter } = codeAcceptWindow(claims, graceSeconds);
  const t = scannedAt.getTime();
  if (t < notBefore.getTime()) return { ok: false, reason: 'INVALID_CODE' };
  if (t > notAfter.getTime()) return { ok: false, reason: 'CODE_EXPIRED' };
  return { ok: true };
}

/**
 * The credential checks of a phone-minted code that are about time and
 * counting (paycode.md): the scan is strictly before the credential's `exp`
 * (seconds) and the counter `n` is an integer 1..max. Either failing is INVALID_CODE.
 */
export function checkCredentialUse(scannedAt: Date, credential: { exp: number; max: number }, counter: number): CodeTimeDecision {
  if (!Number.isSafeInteger(credential.exp) || scannedAt.getTime() >= credential.exp * 1000) return { ok: false, reason: 'INVALID_CODE' };
  if (!Number.isSafeInteger(counter) || counter < 1 || counter > credential.max) return { ok: false, reason: 'INVALID_CODE' };
  return { ok: true };
}
