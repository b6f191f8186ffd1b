/**
 * The two purses of a campus card (api.md "Campus purses"): `balance` is the
 * total, `subsidyBalance` the part from subsidies. Pure rules, unit-tested.
 */

/** Name matching for card issue: width folded (NFKC), every kind of space removed, Latin letters compared case-insensitively. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').replace(/[\s\u00b7\u30fb.]+/gu, '').toLowerCase();
}

/** A charge spends the subsidy purse first (never below zero), then cash. */
export function splitCharge(amount: bigint, subsidyBalance: bigint): { subsidy: bigint; cash: bigint } {
  if (amount <= 0n) throw new RangeError('amount must be positive');
  const subsidy = subsidyBalance > 0n ? (subsidyBalance < amount ? subsidyBalance : amount) : 0n;
  return { subsidy, cash: amount - subsidy };
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

/** Takes `amount` from lots in the order given (earliest expiry first); returns what each gives. */
export function takeFromLots(amount: bigint, lots: readonly { id: string; remaining: bigint }[]): { id: string; amount: bigint }[] {
  const taken: { id: string; amount: bigint }[] = [];
  let left = amount;
  for (const lot of lots) {
    if (left === 0n) break;
    const part = lot.remaining < left ? lot.remaining : left;
    if (part > 0n) {
      taken.push({ id: lot.id, amount: part });
      left -= part;
    }
  }
  if (left !== 0n) throw new Error(`subsidy lots hold ${amount - left}, less than ${amount}: lots and the subsidy purse disagree`);
  return taken;
}
