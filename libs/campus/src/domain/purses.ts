/**
 * The two purses of a campus card (api.md "Campus purses"): `balance` is the
 * total, `subsidyBalance` the part from subsidies. Pure rules, unit-tested.
 * (How a charge splits between the purses, subsidy first and from the
 * earliest-expiring subsidy, is in SQL: campus.pos_charge().)
 */

/** Name matching for card issue: width folded (NFKC), every kind of space removed, Latin letters compared case-insensitively. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').replace(/[\s\u00b7\u30fb.]+/gu, '').toLowerCase();
}

/**
 * A refund goes back to the purses the charge came from: the cash part
 * first (it never expires), then the subsidy part; never more than is left.
 */
export function splitRefund(
  amount: bigint,
  charge: { subsidyAmount: bigint; cashAmount: bigint; refundedSubsidy: bigint; refundedCash: bigint },
): { subsidy: bigint; cash: bigint } | undefined {
  const cashLeft = charge.cashAmount - charge.refundedCash;
  const subsidyLeft = charge.subsidyAmount - charge.refundedSubsidy;
  if (amount <= 0n || amount > cashLeft + subsidyLeft) return undefined;
  const cash = amount < cashLeft ? amount : cashLeft;
  return { cash, subsidy: amount - cash };
}

/** A subsidy credited to a card whose cash purse is below zero repays it first; the rest lands in the subsidy purse. */
export function splitSubsidy(amount: bigint, cashBalance: bigint): { repay: bigint; subsidy: bigint } {
  const owed = cashBalance < 0n ? -cashBalance : 0n;
  const repay = owed < amount ? owed : amount;
  return { repay, subsidy: amount - repay };
}
