import type { IncomingMessage, ServerResponse } from 'node:http';
import pino, { Logger as PinoInstance, LoggerOptions } from 'pino';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { requestIdFor } from '../http/request-id.js';

const SECRET_KEYS = [
  'password',
  'newPassword',
  'currentPassword',
  'secret',
  'deviceSecret',
  'idNumber',
  'refreshToken',
  'accessToken',
  'token',
  'apiKey',
  'privateKey',
];

/** Paths pino censors: auth headers, cookies, device signatures, and secrets at any of the first 3 levels. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-device-signature"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

export interface LoggingSettings {
  level: string;
  pretty: boolean;
  service: string;
}

/** The process's one pino logger (JSON lines on stdout). */
export function createRootLogger(settings: LoggingSettings): PinoInstance {
  const options: LoggerOptions = {
    level: settings.level,
    base: { service: settings.service, pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (settings.pretty) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { singleLine: true } } });
  }
  return pino(options);
}

/** nestjs-pino settings: one log line per request, with the request id of requestIdFor(). */
export function httpLoggingParams(logger: PinoInstance): Params {
  return {
    // nestjs-pino 5.2's default route, '{/*splat}', matches nothing under
    // Nest 12.5 on Fastify (no request was logged); '*path' matches all.
    forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
    pinoHttp: {
      logger,
      genReqId: (req: IncomingMessage) => requestIdFor(req),
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
      serializers: {
        req: (req: { id: string; method: string; url: string; originalUrl?: string; headers: Record<string, unknown> }) => ({
          id: req.id,
          method: req.method,
          url: req.originalUrl ?? req.url,
          headers: req.headers,
        }),
      },
    },
  };
}
