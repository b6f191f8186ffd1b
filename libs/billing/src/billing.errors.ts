import { BusinessRuleError, ConflictError } from '@app/common';

export class BillAlreadyPaidError extends ConflictError {
  constructor() {
    super('BILL_ALREADY_PAID', 'Nothing is outstanding on this bill');
  }
}

export class OverpaymentError extends BusinessRuleError {
  constructor(outstanding: bigint) {
    super('OVERPAYMENT', `The amount is above what is outstanding (${outstanding}); this biller takes no advance payments`);
  }
}

export class PartialNotAllowedError extends BusinessRuleError {
  constructor(outstanding: bigint) {
    super('PARTIAL_NOT_ALLOWED', `This biller takes only the full outstanding amount (${outstanding})`);
  }
}
