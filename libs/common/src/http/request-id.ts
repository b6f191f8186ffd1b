import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SAFE_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * One id per request: the caller's `X-Request-Id` when it is sane, else a new
 * UUID. Stored on the raw request so that Fastify, pino-http and the exception
 * filter all log and answer the same id.
 */
export function requestIdFor(req: IncomingMessage): string {
  const existing = (req as { id?: unknown }).id;
  if (typeof existing === 'string') return existing;
  const header = req.headers['x-request-id'];
  const candidate = Array.isArray(header) ? header[0] : header;
  const id = candidate && SAFE_ID.test(candidate) ? candidate : randomUUID();
  (req as { id?: string }).id = id;
  return id;
}
