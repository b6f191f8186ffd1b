import type { Currency } from '@app/common';

export type OwnerType = 'USER' | 'ORGANIZATION' | 'PLATFORM' | 'PROVIDER';

export interface AccountSpec {
  ownerType: OwnerType;
  ownerId: string;
  /** What the account holds, e.g. WALLET, RECEIVABLE, CLEARING, ADJUSTMENTS. */
  purpose: string;
  currency: Currency;
  /** Platform and provider accounts may; wallets, cards and receivables may not. */
  allowNegative?: boolean;
  /** Receives many concurrent credits: credits are queued instead of updating the row. */
  hot?: boolean;
  /** How far below zero a posting with `useFloor` may take it (campus cards: the offline limit); default 0. */
  floor?: bigint;
}
