import { DomainError } from './domain-error.js';

/** Seconds a client is told to wait (`Retry-After`) before retrying a 503. */
export const RETRY_AFTER_SECONDS = 1;

/**
 * The platform cannot answer right now (its database is unreachable, busy or
 * restarting): 503 `SERVICE_UNAVAILABLE` with `Retry-After`. Nothing was
 * done; the same request (same Idempotency-Key) may be sent again.
 */
export class ServiceUnavailableError extends DomainError {
  constructor(message = 'The service is briefly unavailable; retry shortly') {
    super('SERVICE_UNAVAILABLE', 503, message);
  }
}

/**
 * SQLSTATE classes and codes that mean "the database could not serve this
 * now", not "this request is wrong" nor "our bug":
 * 08 connection exception, 53 insufficient resources (53300 too many
 * connections), 57P01-57P05 (terminated by an administrator, crash or
 * shutdown, cannot connect now, idle session timeout), 57014 canceled
 * (statement timeout), 55P03 lock not available (lock timeout), and
 * 40001/40P01 left over after the transaction retries.
 */
const UNAVAILABLE_CLASSES = ['08', '53'];
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '57P04', '57P05', '57014', '55P03', '40001', '40P01']);

/** node-postgres and pg-pool errors without a SQLSTATE: the connection went away, or none could be had. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/i,
  /is not queryable/i,
  /^timeout exceeded when trying to connect/i, // pg-pool: every connection busy (pool exhaustion)
  /^Query read timeout/i,
  /^Cannot use a pool after calling end/i,
  /^Client was closed/i,
  // TypeORM: the connection of this transaction was lost (its error listener released the query runner)
  /query runner was already released/i,
];
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
const NOT_CONNECTED_NAMES = new Set(['ConnectionIsNotSetError', 'CannotExecuteNotConnectedError', 'DriverNotConnectedError', 'QueryRunnerAlreadyReleasedError']);

/**
 * True when `err` (or the driver error or cause it wraps) says the database
 * is unavailable rather than that the request or the code is wrong.
 */
export function isUnavailableError(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    if (UNAVAILABLE_STATES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return true;
  }
  if (code && SOCKET_CODES.has(code)) return true;
  if (typeof e.name === 'string' && NOT_CONNECTED_NAMES.has(e.name)) return true;
  if (typeof e.message === 'string' && CONNECTION_MESSAGES.some((m) => m.test(e.message as string))) return true;
  if (err instanceof AggregateError && err.errors.some((inner) => isUnavailableError(inner, depth + 1))) return true;
  return isUnavailableError(e.driverError, depth + 1) || isUnavailableError(e.cause, depth + 1);
}
