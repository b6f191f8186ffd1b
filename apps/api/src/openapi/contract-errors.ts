import type { ApiError } from '@app/common';

/**
 * The business refusals api.md names for each route ("METHOD /path" as in the
 * OpenAPI document), beyond the ones every route of its kind can answer
 * (validation, authentication, roles, KYC, idempotency, unknown ids, rate
 * limit), which the document derives from the route's metadata.
 * test/platform/openapi.e2e-spec.ts fails when a key names no route.
 */
export const CONTRACT_ERRORS: Record<string, ApiError[]> = {
  'POST /v1/auth/register': [[409, 'PHONE_TAKEN']],
  'POST /v1/auth/login': [[401, 'INVALID_CREDENTIALS']],
  'POST /v1/auth/refresh': [[401, 'UNAUTHENTICATED']],
  'POST /v1/auth/logout': [[401, 'UNAUTHENTICATED']],
  'POST /v1/me/real-name': [
    [422, 'INVALID_ID_NUMBER'],
    [409, 'ID_ALREADY_BOUND'],
  ],
  'POST /v1/organizations/{orgId}/staff': [[404, 'NOT_FOUND']],
  'POST /v1/wallet/top-ups': [[403, 'KYC_REQUIRED']],
  'POST /v1/bills/{billId}/payments': [
    [402, 'INSUFFICIENT_FUNDS'],
    [409, 'BILL_ALREADY_PAID'],
    [422, 'OVERPAYMENT'],
    [422, 'PARTIAL_NOT_ALLOWED'],
  ],
  'POST /v1/transit/ride-codes': [[403, 'IN_ARREARS']],
  'POST /v1/transit/ride-credentials': [[403, 'IN_ARREARS']],
  'POST /v1/transit/scan-to-pay': [
    [402, 'INSUFFICIENT_FUNDS'],
    [403, 'IN_ARREARS'],
    [422, 'INVALID_QR'],
  ],
  'POST /v1/transit/arrears/pay': [[402, 'INSUFFICIENT_FUNDS']],
  'POST /v1/campus/cards': [
    [409, 'CARD_EXISTS'],
    [422, 'MEMBER_MISMATCH'],
    [403, 'MEMBER_INACTIVE'],
  ],
  'POST /v1/campus/cards/{cardId}/top-ups': [[402, 'INSUFFICIENT_FUNDS']],
  'POST /v1/campus/charges': [
    [402, 'INSUFFICIENT_FUNDS'],
    [403, 'CARD_FROZEN'],
    [403, 'WRONG_UNIVERSITY'],
    [403, 'MEMBER_INACTIVE'],
    [422, 'DAILY_LIMIT_EXCEEDED'],
    [422, 'CODE_EXPIRED'],
    [422, 'CODE_ALREADY_USED'],
    [422, 'INVALID_CODE'],
    [422, 'PIN_REQUIRED'],
    [422, 'PIN_INVALID'],
  ],
  'POST /v1/campus/charges/{chargeId}/refunds': [[422, 'REFUND_EXCEEDS_CHARGE']],
};
