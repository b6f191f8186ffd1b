import { DomainError } from '@app/common';

export class InsufficientFundsError extends DomainError {
  constructor(message = 'The balance is too low for this payment') {
    super('INSUFFICIENT_FUNDS', 402, message);
  }
}
