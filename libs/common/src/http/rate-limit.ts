import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainError } from '../errors/domain-error.js';
import { OPERATIONS_PATH } from '../logging/logging.js';

/**
 * A generous per-client-IP limit on every route (429 RATE_LIMITED), per API
 * replica, counted in memory in Fastify's onRequest hook before any Nest
 * work. Security-relevant limits (failed logins per phone) are exact across
 * replicas and live in PostgreSQL instead.
 */
export async function installIpRateLimit(app: NestFastifyApplication, perMinute: number): Promise<void> {
  await app.register(rateLimit, {
    global: true,
    max: perMinute,
    timeWindow: 60_000,
    // operations endpoints that load balancers and scrapers poll: never limited
    allowList: (req) => OPERATIONS_PATH.test(req.url),
    errorResponseBuilder: (_req, ctx) =>
      new DomainError('RATE_LIMITED', 429, `Too many requests from this address; retry in ${Math.ceil(ctx.ttl / 1000)} s`),
  });
}
