import { ValidationFailedError } from '../errors/domain-error.js';

/** Business days are Asia/Shanghai days (UTC+8, no daylight saving). */
export const SHANGHAI_OFFSET_MS = 8 * 3600_000;

/** The Asia/Shanghai business day (YYYY-MM-DD) an instant falls on. */
export function shanghaiDay(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** "yyyy-MM-ddTHH:mm:ss+08:00": an instant in ISO 8601 with the Beijing offset. */
export function shanghaiIso(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19) + '+08:00';
}

/**
 * [start, end) of an Asia/Shanghai business day given as YYYY-MM-DD; a string
 * that is not a calendar day is a 400 VALIDATION_FAILED naming `field`.
 */
export function shanghaiDayRange(day: string, field = 'date'): { start: Date; end: Date } {
  const start = /^\d{4}-\d{2}-\d{2}$/.test(day) ? new Date(`${day}T00:00:00+08:00`) : new Date(NaN);
  if (Number.isNaN(start.getTime()) || shanghaiDay(start) !== day) {
    throw new ValidationFailedError([{ field, problems: [`${field} must be a calendar day, YYYY-MM-DD (Asia/Shanghai)`] }]);
  }
  return { start, end: new Date(start.getTime() + 24 * 3600_000) };
}

/** "yyyy-MM-dd HH:mm:ss" in Beijing time (Alipay's timestamps, the sandbox's too). */
export function shanghaiDateTime(at: Date): string {
  return new Date(at.getTime() + SHANGHAI_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ');
}

/** "yyyyMMddHHmmss" in Beijing time (UnionPay's txnTime). */
export function shanghaiCompact(at: Date): string {
  return shanghaiDateTime(at).replace(/[-: ]/g, '');
}

/** Parses "yyyy-MM-dd HH:mm:ss" or "yyyyMMddHHmmss" as Beijing time. */
export function parseShanghaiTime(text: string): Date {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})[ T]?(\d{2}):?(\d{2}):?(\d{2})$/.exec(text.trim());
  if (!m) throw new Error(`not a Beijing time: ${JSON.stringify(text)}`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - SHANGHAI_OFFSET_MS);
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
