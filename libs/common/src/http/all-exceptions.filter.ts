import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error.js';
import { isUnavailableError, RETRY_AFTER_SECONDS } from '../errors/unavailable.js';
import { type ErrorBody, STATUS_CODES } from './error-body.js';

interface WithCode {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
}

const JSON_PARSE_CODES = new Set(['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY']);

/**
 * Maps every error to the body of api.md. Domain errors keep their code;
 * framework errors (parser, 404, 413, 415) get a fixed code; a database that
 * is unreachable, busy or restarting (lost connection, 57P01, 08xxx, pool
 * exhaustion, statement timeout) is 503 SERVICE_UNAVAILABLE with
 * `Retry-After`; anything else is a 500 INTERNAL_ERROR whose message carries
 * only the request id, with the error itself in the log under that id. No
 * stack or SQL reaches the client.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const request = ctx.getRequest<FastifyRequest>();
    const body = this.toBody(exception, request);
    const where = { err: exception, reqId: requestIdOf(request), url: request?.url, method: request?.method };
    if (body.statusCode === 503) {
      this.logger.warn(where, `Answered 503 ${body.code}: ${body.message}`);
    } else if (body.statusCode >= 500) {
      this.logger.error(where, `Error answered ${body.statusCode} ${body.code} (reference ${requestIdOf(request)})`);
    }
    if (reply.sent) return;
    if (body.statusCode === 503) void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    void reply.status(body.statusCode).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  toBody(exception: unknown, request: FastifyRequest | undefined): ErrorBody {
    if (exception instanceof DomainError) {
      return {
        statusCode: exception.status,
        code: exception.code,
        message: exception.message,
        ...(exception.details ? { details: exception.details } : {}),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const cause = exception.cause as WithCode | undefined;
      const causeCode = typeof cause?.code === 'string' ? cause.code : undefined;
      if (status === 400 && (isJsonSyntaxError(cause) || (causeCode && JSON_PARSE_CODES.has(causeCode)))) {
        return { statusCode: 400, code: 'MALFORMED_JSON', message: 'The request body is not valid JSON' };
      }
      if (status === 503) {
        return { statusCode: 503, code: 'SERVICE_UNAVAILABLE', message: unavailableMessage(exception.getResponse()) };
      }
      if (status >= 500) {
        return internal(request);
      }
      const response = exception.getResponse();
      const code = codeFromResponse(response) ?? STATUS_CODES[status] ?? `HTTP_${status}`;
      return { statusCode: status, code, message: safeMessage(status, exception.message) };
    }
    if (isUnavailableError(exception)) {
      return { statusCode: 503, code: 'SERVICE_UNAVAILABLE', message: 'The service is briefly unavailable; retry shortly' };
    }
    const plain = exception as WithCode | undefined;
    const sqlState = (exception as { driverError?: { code?: unknown } } | undefined)?.driverError?.code;
    if (typeof sqlState === 'string' && sqlState.startsWith('22')) {
      // PostgreSQL "data exception": a value from the request that the database cannot take
      return { statusCode: 400, code: 'VALIDATION_FAILED', message: 'A value in the request is not valid' };
    }
    if (isJsonSyntaxError(plain)) {
      return { statusCode: 400, code: 'MALFORMED_JSON', message: 'The request body is not valid JSON' };
    }
    return internal(request);
  }
}

function internal(request: FastifyRequest | undefined): ErrorBody {
  return {
    statusCode: 500,
    code: 'INTERNAL_ERROR',
    message: `Internal error; quote reference ${requestIdOf(request)} to support`,
  };
}

/** Terminus answers `{ status: 'error', error: { database: {...} } }`: name what is down. */
function unavailableMessage(response: unknown): string {
  const failing = (response as { error?: Record<string, unknown> } | undefined)?.error;
  const names = failing && typeof failing === 'object' ? Object.keys(failing) : [];
  return names.length ? `Not ready: ${names.join(', ')} down` : 'Service unavailable';
}

function requestIdOf(request: FastifyRequest | undefined): string {
  const raw = request?.raw as { id?: unknown } | undefined;
  return String(raw?.id ?? request?.id ?? 'unknown');
}

function isJsonSyntaxError(e: unknown): boolean {
  return e instanceof SyntaxError;
}

function codeFromResponse(response: unknown): string | undefined {
  if (response && typeof response === 'object' && 'code' in response) {
    const code = (response as { code: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) return code;
  }
  return undefined;
}

function safeMessage(status: number, message: string): string {
  if (status === 404) return 'Not found';
  if (status === 413) return 'The request body is too large';
  return message.length > 300 ? message.slice(0, 300) : message;
}
