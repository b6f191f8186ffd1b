import { BusinessRuleError, ConflictError, DomainError } from '@app/common';

export class ProviderUnavailableError extends DomainError {
  constructor(provider: string) {
    super('PROVIDER_UNAVAILABLE', 502, `${provider} could not take the payment now; nothing was charged. Try again or choose another provider`);
  }
}

export class ProviderNotConfiguredError extends BusinessRuleError {
  constructor(provider: string) {
    super('PROVIDER_NOT_AVAILABLE', `${provider} is not available on this platform`);
  }
}

export class CurrencyNotSupportedError extends BusinessRuleError {
  constructor(currency: string, provider: string) {
    super('CURRENCY_NOT_SUPPORTED', `${provider} cannot take payments in ${currency}`);
  }
}

export class RefundExceedsCaptureError extends BusinessRuleError {
  constructor() {
    super('REFUND_EXCEEDS_CAPTURE', 'Refunds of a payment never exceed what was captured');
  }
}

export class NotCapturedError extends ConflictError {
  constructor() {
    super('PAYMENT_NOT_CAPTURED', 'Nothing was captured for this payment order: there is nothing to refund');
  }
}

export class RefundKeyReusedError extends ConflictError {
  constructor() {
    super('REFUND_KEY_REUSED', 'This refund key was used for a different amount');
  }
}
