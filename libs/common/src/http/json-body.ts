import type { FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { DomainError } from '../errors/domain-error.js';

/** Deeper than any request of the API needs; deep enough nesting overflows validators' recursion. */
export const MAX_JSON_DEPTH = 32;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class MalformedJsonError extends DomainError {
  constructor(reason: string) {
    super('MALFORMED_JSON', 400, `The request body is not valid JSON: ${reason}`);
  }
}

export class UnsupportedCharsetError extends DomainError {
  constructor(charset: string) {
    super('UNSUPPORTED_MEDIA_TYPE', 415, `JSON bodies must be UTF-8, not ${charset}`);
  }
}

/** Rejects nesting deeper than MAX_JSON_DEPTH before parsing (a linear scan, strings skipped). */
function checkDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > MAX_JSON_DEPTH) throw new MalformedJsonError(`nested deeper than ${MAX_JSON_DEPTH} levels`);
    } else if (c === 125 || c === 93) depth--;
  }
}

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
  return false;
}

/**
 * The JSON body parser: strict UTF-8, nesting at most MAX_JSON_DEPTH,
 * `__proto__` / `constructor.prototype` keys refused, no NUL characters
 * (PostgreSQL text cannot hold them). Every refusal is 400 MALFORMED_JSON.
 */
export function parseJsonBody(request: FastifyRequest, body: Buffer): unknown {
  const charset = /charset\s*=\s*"?([^";\s]+)/i.exec(String(request.headers['content-type'] ?? ''))?.[1];
  if (charset && !/^utf-?8$/i.test(charset)) throw new UnsupportedCharsetError(charset);
  if (body.length === 0) throw new MalformedJsonError('the body is empty');
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new MalformedJsonError('the body is not UTF-8');
  }
  checkDepth(text);
  let value: unknown;
  try {
    value = sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    throw new MalformedJsonError(err instanceof SyntaxError ? 'syntax error' : 'forbidden key');
  }
  if (hasNul(value)) throw new MalformedJsonError('NUL characters are not accepted');
  return value;
}
