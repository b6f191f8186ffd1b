import { MAX_PAYMENT_MINOR } from '@app/common';

export interface BillRow {
  customerRef: string;
  period: string;
  amount: bigint;
  currency: string;
  dueDate: string;
  customerName: string | null;
}

const FIELDS = new Set(['customerRef', 'period', 'amount', 'currency', 'dueDate', 'customerName']);

function isCalendarDay(s: string): boolean {
  if (!/^(19|2\d)\d{2}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/**
 * One row of a bulk bill upload, checked on its own (a bad row is reported by
 * its index; the others still load). The biller's currency is the only one
 * its bills may be in.
 */
export function parseBillRow(raw: unknown, billerCurrency: string): { ok: true; row: BillRow } | { ok: false; problems: string[] } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, problems: ['must be an object'] };
  const r = raw as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(r)) if (!FIELDS.has(key)) problems.push(`${key} is not a bill field`);
  const { customerRef, period, amount, currency, dueDate, customerName } = r;
  if (typeof customerRef !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(customerRef)) {
    problems.push('customerRef must be 1-64 letters, digits, "-" or "_"');
  }
  if (typeof period !== 'string' || !/^(19|2\d)\d{2}-(0[1-9]|1[0-2])$/.test(period)) problems.push('period must be YYYY-MM');
  if (typeof amount !== 'number' || !Number.isInteger(amount) || amount < 1 || amount > MAX_PAYMENT_MINOR) {
    problems.push(`amount must be an integer of minor units, 1 to ${MAX_PAYMENT_MINOR}`);
  }
  if (currency !== billerCurrency) problems.push(`currency must be the biller's, ${billerCurrency}`);
  if (typeof dueDate !== 'string' || !isCalendarDay(dueDate)) problems.push('dueDate must be a calendar day, YYYY-MM-DD');
  if (customerName !== undefined && customerName !== null && (typeof customerName !== 'string' || customerName.length > 100 || customerName.includes('\u0000'))) {
    problems.push('customerName must be text of at most 100 characters');
  }
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    row: {
      customerRef: customerRef as string,
      period: period as string,
      amount: BigInt(amount as number),
      currency: currency as string,
      dueDate: dueDate as string,
      customerName: typeof customerName === 'string' && customerName.trim() ? customerName.trim() : null,
    },
  };
}
