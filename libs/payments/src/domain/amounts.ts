/** Minor units -> a decimal string with two places ("1234" -> "12.34"), as Alipay and UnionPay files write amounts. */
export function toDecimalString(minor: bigint): string {
  const negative = minor < 0n;
  const abs = negative ? -minor : minor;
  const s = `${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
  return negative ? `-${s}` : s;
}

/** "12.34", "12.3", "12" -> 1234n; anything else (more places, signs, exponents) is refused. */
export function fromDecimalString(text: string): bigint {
  const m = /^(\d{1,12})(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!m) throw new Error(`not an amount: ${JSON.stringify(text)}`);
  return BigInt(m[1]) * 100n + BigInt((m[2] ?? '').padEnd(2, '0'));
}

/** Integer minor units as a string ("1234") -> 1234n; refuses anything else. */
export function fromMinorString(text: string | number): bigint {
  const s = String(text).trim();
  if (!/^\d{1,15}$/.test(s)) throw new Error(`not an amount in minor units: ${JSON.stringify(text)}`);
  return BigInt(s);
}
