import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The string a device signs (api.md, Conventions):
 * METHOD \n PATH_WITH_QUERY \n TIMESTAMP \n hex(SHA256(rawBody))
 */
export function canonicalRequest(method: string, pathWithQuery: string, timestamp: string, rawBody: Buffer | string): string {
  const bodyHash = createHash('sha256').update(rawBody).digest('hex');
  return `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${bodyHash}`;
}

/** Lowercase hex HMAC-SHA256 with the device secret (the secret string as issued, UTF-8). */
export function signDeviceRequest(
  secret: string,
  method: string,
  pathWithQuery: string,
  timestamp: string,
  rawBody: Buffer | string,
): string {
  return createHmac('sha256', secret).update(canonicalRequest(method, pathWithQuery, timestamp, rawBody)).digest('hex');
}

/** Constant-time comparison of a presented signature with the expected one. */
export function signaturesMatch(expectedHex: string, presented: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(presented)) return false;
  return timingSafeEqual(Buffer.from(expectedHex, 'hex'), Buffer.from(presented, 'hex'));
}
