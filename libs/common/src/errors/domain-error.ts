export interface ErrorDetail {
  field: string;
  problems: string[];
}

/**
 * Base of every refusal a lib can express. Carries the API error code and the
 * HTTP status; one global filter turns it into the error body of api.md.
 * Libs throw these, never an HttpException.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends DomainError {
  constructor(details: ErrorDetail[], message = 'The request is not valid') {
    super('VALIDATION_FAILED', 400, message, details);
  }
}

export class NotFoundError extends DomainError {
  constructor(message = 'Not found') {
    super('NOT_FOUND', 404, message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'Forbidden', code = 'FORBIDDEN') {
    super(code, 403, message);
  }
}

export class UnauthenticatedError extends DomainError {
  constructor(message = 'Authentication required', code = 'UNAUTHENTICATED') {
    super(code, 401, message);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string) {
    super(code, 409, message);
  }
}

export class BusinessRuleError extends DomainError {
  constructor(code: string, message: string) {
    super(code, 422, message);
  }
}
