import { BusinessRuleError, ConflictError, ForbiddenError } from '@app/common';

export class InvalidUniversityError extends BusinessRuleError {
  constructor() {
    super('INVALID_UNIVERSITY', 'universityId must name an organisation of kind UNIVERSITY');
  }
}

export class MemberMismatchError extends BusinessRuleError {
  constructor() {
    super('MEMBER_MISMATCH', "Your verified real name does not match this member's name");
  }
}

export class MemberInactiveError extends ForbiddenError {
  constructor() {
    super('This member is no longer active at the university', 'MEMBER_INACTIVE');
  }
}

export class CardExistsError extends ConflictError {
  constructor() {
    super('CARD_EXISTS', 'This member already has a card');
  }
}

export class CardFrozenError extends ForbiddenError {
  constructor() {
    super('The card is frozen', 'CARD_FROZEN');
  }
}

export class WrongUniversityError extends ForbiddenError {
  constructor() {
    super('This card belongs to another university', 'WRONG_UNIVERSITY');
  }
}

export class DailyLimitExceededError extends BusinessRuleError {
  constructor() {
    super('DAILY_LIMIT_EXCEEDED', "The charge would exceed the card's daily limit");
  }
}

/** CODE_EXPIRED, CODE_ALREADY_USED, INVALID_CODE. */
export class CardCodeRefusedError extends BusinessRuleError {
  constructor(code: 'CODE_EXPIRED' | 'CODE_ALREADY_USED' | 'INVALID_CODE') {
    super(code, code === 'CODE_EXPIRED' ? 'The card code has expired' : code === 'CODE_ALREADY_USED' ? 'The card code was already used' : 'The card code is not valid');
  }
}

export class PinRequiredError extends BusinessRuleError {
  constructor(message = 'A charge above the password-free limit needs the card PIN') {
    super('PIN_REQUIRED', message);
  }
}

export class PinInvalidError extends BusinessRuleError {
  constructor(frozen: boolean) {
    super('PIN_INVALID', frozen ? 'Wrong PIN: the fifth wrong PIN today froze the card' : 'Wrong PIN');
  }
}

export class RefundExceedsChargeError extends BusinessRuleError {
  constructor(refundable: bigint) {
    super('REFUND_EXCEEDS_CHARGE', `Refunds of a charge never exceed it: at most ${refundable} is left to refund`);
  }
}

export class NotCampusMerchantError extends ForbiddenError {
  constructor() {
    super('This device does not belong to a campus merchant of a university', 'NOT_CAMPUS_MERCHANT');
  }
}

export class InvalidExpiryError extends BusinessRuleError {
  constructor() {
    super('INVALID_EXPIRY', 'expiresAt must lie in the future');
  }
}

export class OfflineLimitNeedsUniversityError extends ForbiddenError {
  constructor(max: bigint) {
    super(`A card owner may set offlineLimit up to ${max}; above that, the university's staff set it`, 'OFFLINE_LIMIT_NEEDS_UNIVERSITY');
  }
}

export class OfflineLimitBelowBalanceError extends BusinessRuleError {
  constructor() {
    super('OFFLINE_LIMIT_BELOW_BALANCE', 'The card already owes more than this offlineLimit: top it up first');
  }
}
