import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/**
 * Raises (or lowers) the body limit of one route, e.g. `@BodyLimit(8 * 1024 * 1024)`
 * on a bulk upload. Routes without it get BODY_LIMIT_BYTES.
 */
export const BodyLimit = (bytes: number): MethodDecorator => RouteConfig({ bodyLimit: bytes });

/**
 * Nest hands Fastify one body limit for the whole server (BODY_LIMIT_BYTES,
 * which also bounds requests no route matched); a route's own limit, from
 * `@BodyLimit()` in its config, becomes Fastify's per-route `bodyLimit` as the
 * route is registered. Fastify enforces it itself, on the declared
 * Content-Length and on the bytes received (chunked bodies), answering 413,
 * and a request without a body pays nothing for it (a hook on every request
 * did this before).
 */
export function installBodyLimits(fastify: FastifyInstance, defaultLimit: number): void {
  fastify.addHook('onRoute', (route) => {
    const own = (route.config as { bodyLimit?: unknown } | undefined)?.bodyLimit;
    route.bodyLimit = typeof own === 'number' ? own : defaultLimit;
  });
}
