import { BusinessRuleError, ConflictError, ForbiddenError } from '@app/common';

export class InArrearsError extends ForbiddenError {
  constructor() {
    super('Unpaid trips are outstanding: pay them (POST /v1/transit/arrears/pay) to ride again', 'IN_ARREARS');
  }
}

export class NotOperatorStaffError extends ForbiddenError {
  constructor(message = 'Only staff of a transit operator may do this') {
    super(message);
  }
}

export class RouteCodeTakenError extends ConflictError {
  constructor(code: string) {
    super('ROUTE_CODE_TAKEN', `This operator already has a route ${code}`);
  }
}

export class PlateTakenError extends ConflictError {
  constructor(plate: string) {
    super('PLATE_TAKEN', `This operator already has a vehicle ${plate}`);
  }
}

export class UnknownRouteError extends BusinessRuleError {
  constructor(code: string) {
    super('UNKNOWN_ROUTE', `This operator has no route ${code}`);
  }
}

export class InvalidQrError extends BusinessRuleError {
  constructor(why: string) {
    super('INVALID_QR', `Not a bus-door QR of this platform: ${why}`);
  }
}
