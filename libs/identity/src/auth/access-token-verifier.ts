import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { UUID } from '@app/common';
import type { AccessTokenPayload } from './tokens.service.js';

/** Clock difference tolerated on a token's issue time. */
export const IAT_SKEW_SECONDS = 60;

const BEARER = /(\S+)\s+(\S+)/;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = BEARER.exec(header);
  return match && match[1]!.toLowerCase() === 'bearer' ? match[2] : undefined;
}

function decodeJson(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Verifies the API's access tokens (HS256 JWTs signed by TokensService),
 * synchronously, with the HMAC key made once. What is checked: the compact
 * form, the header's `alg` exactly HS256, the signature (its base64url text
 * compared in constant time), issuer and audience, `exp` and `iat` present,
 * not expired (`exp` strictly after now and after `iat`), not issued more than
 * IAT_SKEW_SECONDS in the future, `nbf` when present, and `sub` and `sid`
 * UUIDs. Anything else is refused: undefined, never an exception.
 *
 * This replaces passport-jwt and jsonwebtoken on every authenticated
 * request: passport's per-request strategy objects, callbacks and rxjs
 * wrapping, jsonwebtoken's generic key handling and decoding cost more than
 * the HMAC itself (bench/payments CPU profile).
 */
export class AccessTokenVerifier {
  private readonly key: KeyObject;

  constructor(
    secret: string,
    private readonly issuer: string,
    private readonly audience: string,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  verify(token: string, nowMs = Date.now()): AccessTokenPayload | undefined {
    const firstDot = token.indexOf('.');
    const secondDot = token.indexOf('.', firstDot + 1);
    if (firstDot <= 0 || secondDot <= firstDot + 1 || token.indexOf('.', secondDot + 1) !== -1) return undefined;
    const headerPart = token.slice(0, firstDot);
    const payloadPart = token.slice(firstDot + 1, secondDot);
    const signature = token.slice(secondDot + 1);
    if (!SEGMENT.test(headerPart) || !SEGMENT.test(payloadPart) || !SEGMENT.test(signature)) return undefined;

    const header = decodeJson(headerPart) as { alg?: unknown } | undefined;
    if (!header || typeof header !== 'object' || header.alg !== 'HS256') return undefined;
    const expected = createHmac('sha256', this.key).update(token.slice(0, secondDot)).digest('base64url');
    const given = Buffer.from(signature, 'latin1');
    const wanted = Buffer.from(expected, 'latin1');
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) return undefined;

    const claims = decodeJson(payloadPart) as Record<string, unknown> | undefined;
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
    const { sub, sid, exp, iat, nbf, iss, aud } = claims;
    if (iss !== this.issuer) return undefined;
    if (!(aud === this.audience || (Array.isArray(aud) && aud.includes(this.audience)))) return undefined;
    if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(exp) || !Number.isFinite(iat)) return undefined;
    const now = Math.floor(nowMs / 1000);
    if (now >= exp || exp <= iat || iat > now + IAT_SKEW_SECONDS) return undefined;
    if (nbf !== undefined && (typeof nbf !== 'number' || !(now >= nbf))) return undefined;
    if (typeof sub !== 'string' || typeof sid !== 'string' || !UUID.test(sub) || !UUID.test(sid)) return undefined;
    return { sub, sid };
  }
}
