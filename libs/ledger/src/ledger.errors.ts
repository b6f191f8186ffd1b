import { DomainError } from '@app/common';

export class InsufficientFundsError extends DomainError {
  constructor(message = 'The balance is too low for this payment') {
    super('INSUFFICIENT_FUNDS', 402, message);
  }
}

/** A business reference reused for a different movement: a bug in the caller, never a duplicate. */
export class LedgerReferenceConflictError extends Error {
  constructor(reference: string) {
    super(`Ledger reference ${reference} was already posted with other postings`);
    this.name = 'LedgerReferenceConflictError';
  }
}
