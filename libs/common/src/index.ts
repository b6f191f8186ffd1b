export {
  DomainError,
  ValidationFailedError,
  NotFoundError,
  ForbiddenError,
  UnauthenticatedError,
  ConflictError,
  BusinessRuleError,
} from './errors/domain-error.js';
export type { ErrorDetail } from './errors/domain-error.js';
export { ServiceUnavailableError, isUnavailableError, RETRY_AFTER_SECONDS } from './errors/unavailable.js';
export type { ErrorBody } from './http/error-body.js';
export { STATUS_CODES } from './http/error-body.js';
export { AllExceptionsFilter } from './http/all-exceptions.filter.js';
export { createValidationPipe, flattenValidationErrors } from './http/validation.js';
export { OptionalField } from './http/optional-field.decorator.js';
export { ApiErrors, API_ERRORS_KEY } from './http/api-errors.decorator.js';
export type { ApiError } from './http/api-errors.decorator.js';
export { BodyLimit, installBodyLimits } from './http/body-limit.js';
export { requestIdFor } from './http/request-id.js';
export { Public, IS_PUBLIC_KEY } from './auth/public.decorator.js';
export {
  PlatformAdmin,
  OrgRole,
  RequireKyc,
  DeviceAuth,
  AlsoDevice,
  CurrentUser,
  CurrentDevice,
  CurrentCaller,
  ROLES_KEY,
  ORG_ROLES_KEY,
  KYC_KEY,
  DEVICE_KEY,
  ALSO_DEVICE_KEY,
} from './auth/decorators.js';
export type { OrgRoleOptions } from './auth/decorators.js';
export { PLATFORM_ROLES, STAFF_ROLES, ORGANIZATION_KINDS, CURRENCIES, DEVICE_KINDS } from './auth/caller.js';
export type { PlatformRole, StaffRole, OrganizationKind, DeviceKind, RoleGrant, AuthenticatedUser, AuthenticatedDevice, Caller } from './auth/caller.js';
export { AuditTrail, UserDirectory } from './auth/ports.js';
export type { AuditRecord } from './auth/ports.js';
export { MetricsModule } from './metrics/metrics.module.js';
export { MetricsService } from './metrics/metrics.service.js';
export { createRootLogger, httpLoggingParams, installRequestLogging, loggingFormatters, loggingSerializers } from './logging/logging.js';
export { censorSecrets, SECRET_KEYS } from './logging/censor.js';
export type { LoggingSettings } from './logging/logging.js';
export { ReqMeta } from './http/request-meta.js';
export type { RequestMeta } from './http/request-meta.js';
export { PageQuery, encodeCursor, decodeCursor, decodeSequenceCursor, decodeTimeCursor, toPage, DEFAULT_PAGE_SIZE } from './http/pagination.js';
export type { Page } from './http/pagination.js';
export { installIpRateLimit } from './http/rate-limit.js';
export { Money, PaymentAmountDto, CurrencyMismatchError, CURRENCY_CODES, MAX_PAYMENT_MINOR } from './money/money.js';
export type { Currency } from './money/money.js';
export { IdempotencyModule } from './idempotency/idempotency.module.js';
export { IdempotencyService, IdempotencyClaimLostError, IdempotencyKeyExistsError } from './idempotency/idempotency.service.js';
export {
  Idempotent,
  IdempotencyKeyRequiredError,
  IdempotencyKeyReusedError,
  IdempotencyInProgressError,
  IDEMPOTENT_KEY,
} from './idempotency/idempotency.interceptor.js';
export { Idempotency1763700150000, IdempotencyOwners1764500000950 } from './idempotency/migration.js';
export { parseJsonBody, MalformedJsonError, MAX_JSON_DEPTH } from './http/json-body.js';
export { frameworkErrorHandler, clientErrorHandler, installLifecycleResponses } from './http/framework-errors.js';
export { SHANGHAI_OFFSET_MS, shanghaiDay, shanghaiDayRange, shanghaiIso, UUID, shanghaiDateTime, shanghaiCompact, parseShanghaiTime } from './time/business-day.js';
export { nonPublicAddress, resolveTarget, postPinned, systemResolver } from './http/outbound.js';
export type { ResolvedAddress, Resolver, PinnedResponse } from './http/outbound.js';
export { onUnhandledRejection } from './errors/process-guards.js';
export { affectedRows, returnedRows } from './sql/query-results.js';
export { GroupCommit, BatchItemError, WHEN_STALLED } from './sql/group-commit.js';
export type { GroupCommitOptions, ItemOutcome } from './sql/group-commit.js';
