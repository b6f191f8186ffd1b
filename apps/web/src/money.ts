import type { Currency } from './api/types';

/** Minor units to a localized amount ("¥12.34"); integers only, never float arithmetic on money. */
export function formatMoney(amount: number, currency: Currency | string, locale: string): string {
  const negative = amount < 0;
  const abs = Math.abs(amount);
  const whole = Math.trunc(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  const symbol = currency === 'CNY' ? '¥' : currency === 'HKD' ? 'HK$' : currency === 'MOP' ? 'MOP$' : `${currency} `;
  const grouped = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(whole);
  return `${negative ? '-' : ''}${symbol}${grouped}.${cents}`;
}

/** "12.3" / "12.34" / "12" (yuan) to minor units; null when not a positive amount with at most 2 decimals. */
export function parseAmount(input: string): number | null {
  const m = /^\s*(\d{1,7})(?:\.(\d{1,2}))?\s*$/.exec(input);
  if (!m) return null;
  const minor = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return minor > 0 ? minor : null;
}

/** GB 11643 check of an 18-character PRC ID number (checksum and a real birth date). */
export function validPrcId(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...id.slice(0, 17)].reduce((s, d, i) => s + Number(d) * w[i], 0);
  if ('10X98765432'[sum % 11] !== id[17]) return false;
  const y = Number(id.slice(6, 10));
  const mo = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && date.getTime() <= Date.now() && y >= 1900;
}
