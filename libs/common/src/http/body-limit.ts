import { PayloadTooLargeException } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { Transform } from 'node:stream';

/** Hard ceiling handed to Fastify; the real limit is enforced per route below. */
export const BODY_LIMIT_CEILING = 64 * 1024 * 1024;

/**
 * Raises (or lowers) the body limit of one route, e.g. `@BodyLimit(8 * 1024 * 1024)`
 * on a bulk upload. Routes without it get BODY_LIMIT_BYTES.
 */
export const BodyLimit = (bytes: number): MethodDecorator => RouteConfig({ bodyLimit: bytes });

/**
 * Fastify takes a single body limit through Nest; this hook enforces the
 * route's own limit, on the declared Content-Length first and then on the
 * bytes actually received (chunked bodies), answering 413.
 */
export function installBodyLimits(fastify: FastifyInstance, defaultLimit: number): void {
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const headers = request.headers;
    if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
      done(null, payload); // no body
      return;
    }
    const routeLimit = (request.routeOptions?.config as { bodyLimit?: unknown } | undefined)?.bodyLimit;
    const limit = typeof routeLimit === 'number' ? routeLimit : defaultLimit;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      done(new PayloadTooLargeException(`The request body is larger than ${limit} bytes`));
      return;
    }
    if (headers['transfer-encoding'] === undefined && Number.isFinite(declared)) {
      // a declared length within the limit: Node's parser delivers at most that
      // many bytes as this body (Fastify refuses fewer), so no counting stream
      // (one per request with a body, every payment among them) is needed
      done(null, payload);
      return;
    }
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        received += chunk.length;
        (counter as unknown as { receivedEncodedLength: number }).receivedEncodedLength = received;
        if (received > limit) {
          callback(new PayloadTooLargeException(`The request body is larger than ${limit} bytes`));
          return;
        }
        callback(null, chunk);
      },
    });
    (counter as unknown as { receivedEncodedLength: number }).receivedEncodedLength = 0;
    payload.on('error', (err) => counter.destroy(err));
    done(null, payload.pipe(counter));
  });
}
