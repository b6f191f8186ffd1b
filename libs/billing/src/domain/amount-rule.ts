export interface AmountRules {
  allowsPartial: boolean;
  allowsAdvance: boolean;
}

export type AmountDecision =
  | { ok: true; amount: bigint }
  | { ok: false; code: 'BILL_ALREADY_PAID' | 'OVERPAYMENT' | 'PARTIAL_NOT_ALLOWED' };

/**
 * What a payment of `requested` (default: the outstanding amount) may be,
 * given what is outstanding and the biller's rules: nothing outstanding is
 * BILL_ALREADY_PAID; above it is OVERPAYMENT unless advance payments are
 * taken; below it is PARTIAL_NOT_ALLOWED unless partial payments are.
 */
export function decideAmount(outstanding: bigint, requested: bigint | undefined, rules: AmountRules): AmountDecision {
  if (outstanding <= 0n) return { ok: false, code: 'BILL_ALREADY_PAID' };
  const amount = requested ?? outstanding;
  if (amount > outstanding && !rules.allowsAdvance) return { ok: false, code: 'OVERPAYMENT' };
  if (amount < outstanding && !rules.allowsPartial) return { ok: false, code: 'PARTIAL_NOT_ALLOWED' };
  return { ok: true, amount };
}

export type BillStatus = 'UNPAID' | 'PARTIALLY_PAID' | 'PAID';

export function billStatus(amount: bigint, paid: bigint): BillStatus {
  if (paid >= amount) return 'PAID';
  return paid > 0n ? 'PARTIALLY_PAID' : 'UNPAID';
}
