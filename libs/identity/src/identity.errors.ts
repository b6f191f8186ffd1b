import { BusinessRuleError, ConflictError, DomainError, ForbiddenError, UnauthenticatedError } from '@app/common';

export class PhoneTakenError extends ConflictError {
  constructor() {
    super('PHONE_TAKEN', 'An account with this phone number already exists');
  }
}

export class InvalidCredentialsError extends DomainError {
  constructor() {
    super('INVALID_CREDENTIALS', 401, 'Phone number or password is wrong');
  }
}

export class RateLimitedError extends DomainError {
  constructor(message = 'Too many attempts; try again in a minute') {
    super('RATE_LIMITED', 429, message);
  }
}

export class RefreshTokenRejectedError extends UnauthenticatedError {
  constructor(message = 'The refresh token is not valid') {
    super(message);
  }
}

export class KycRequiredError extends ForbiddenError {
  constructor() {
    super('Real-name verification (kycLevel 1) is required to move money', 'KYC_REQUIRED');
  }
}

export class InvalidIdNumberError extends BusinessRuleError {
  constructor(reason: string) {
    super('INVALID_ID_NUMBER', `The ID number is not valid: ${reason}`);
  }
}

export class IdAlreadyBoundError extends ConflictError {
  constructor() {
    super('ID_ALREADY_BOUND', 'This ID number is already bound to another account');
  }
}

export class RealNameAlreadyVerifiedError extends ConflictError {
  constructor() {
    super('REAL_NAME_ALREADY_VERIFIED', 'This account is already verified with another identity');
  }
}

export class DeviceAuthFailedError extends DomainError {
  constructor() {
    super('DEVICE_AUTH_FAILED', 401, 'Device authentication failed');
  }
}

export class DeviceKindNotAllowedError extends BusinessRuleError {
  constructor(kind: string, orgKind: string) {
    super('DEVICE_KIND_NOT_ALLOWED', `A ${orgKind} organisation cannot have ${kind} devices`);
  }
}
