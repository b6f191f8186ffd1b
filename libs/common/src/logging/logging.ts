import type { FastifyInstance } from 'fastify';
import pino, { type Logger as PinoInstance, type LoggerOptions } from 'pino';
import type { Params, PinoLogger } from 'nestjs-pino';
import { censorSecrets } from './censor.js';

export interface LoggingSettings {
  level: string;
  pretty: boolean;
  service: string;
}

/**
 * Level as a label, and secrets censored by key at any depth (censor.ts).
 * Not pino's `redact`: with wildcard paths it clones every log object and
 * cut request throughput by half (bench/http-overhead).
 */
export function loggingFormatters(): NonNullable<LoggerOptions['formatters']> {
  return {
    level: (label) => ({ level: label }),
    log: (object) => censorSecrets(object),
  };
}

/**
 * Errors are serialized by pino (message, stack, own fields) and the result
 * censored: database errors carry bound parameters and PostgreSQL details.
 */
export function loggingSerializers(): NonNullable<LoggerOptions['serializers']> {
  const censoredErr = (err: unknown) => censorSecrets(pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>);
  return { err: censoredErr, error: censoredErr };
}

/** The process's one pino logger (JSON lines on stdout). */
export function createRootLogger(settings: LoggingSettings): PinoInstance {
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: settings.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: loggingFormatters(),
    serializers: loggingSerializers(),
  };
  if (settings.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { singleLine: true } } });
  }
  return pino(options);
}

/**
 * nestjs-pino as Nest's logger only. Requests are logged by Fastify hooks
 * (installRequestLogging): pino-http behind Nest's middleware layer cut
 * throughput by two thirds (bench/http-overhead), and nestjs-pino 5.2's
 * default route '{/*splat}' matched nothing under Nest 12.5 on Fastify.
 */
export function httpLoggingParams(logger: PinoInstance): Params {
  // pino-http installs its own err serializer on the logger nestjs-pino hands out: give it ours
  return { pinoHttp: { logger, serializers: loggingSerializers() }, forRoutes: [] };
}

/** Operations endpoints polled by load balancers and scrapers (/health/*, /metrics). */
export const OPERATIONS_PATH = /^\/(health\/|metrics(\?|$))/;

/**
 * One log line per request (id, method, url, status, time; never headers or
 * bodies), and every log written while handling the request carries its
 * `reqId` (nestjs-pino's context, bound here rather than by middleware).
 *
 * Operations endpoints (health checks, metrics scrapes) are polled every few
 * seconds by every load balancer and scraper and log nothing themselves: they
 * get neither the logging context (an AsyncLocalStorage run plus a pino child
 * per request) nor an access line unless they fail. Measured with
 * bench/http-overhead, the two cost more than the rest of the pipeline.
 */
export function installRequestLogging(fastify: FastifyInstance, root: PinoInstance, context: PinoLogger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    if (OPERATIONS_PATH.test(request.url)) {
      done();
      return;
    }
    context.runInContext(done, { bindings: { reqId: request.id } });
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    if (root.isLevelEnabled(level) && (status >= 400 || !OPERATIONS_PATH.test(request.url))) {
      root[level](
        {
          reqId: request.id,
          // the path only: query strings may carry tokens or signed provider parameters
          req: { method: request.method, url: request.url.split('?', 1)[0] },
          res: { statusCode: status },
          responseTime: Math.round(reply.elapsedTime * 100) / 100,
        },
        'request completed',
      );
    }
    done();
  });
}
