import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { UUID } from '@app/common';
import type { AccessTokenPayload } from './tokens.service.js';

/** Clock difference tolerated on a token's issue time. */
export const IAT_SKEW_SECONDS = 60;

const BEARER = /(\S+)\s+(\S+)/;

/** The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), else undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = BEARER.exec(header);
  return match && match[1]!.toLowerCase() === 'bearer' ? match[2] : undefined;
}

/**
 * Verifies the API's access tokens (HS256 JWTs signed by TokensService),
 * synchronously, with jsonwebtoken and a key object made once: the
 * signature, `alg` exactly HS256 ("none" and every other algorithm refused),
 * issuer and audience, expiry and `nbf`. On top of what jsonwebtoken checks:
 * `exp` and `iat` present, `exp` after `iat`, not issued more than
 * IAT_SKEW_SECONDS in the future, `sub` and `sid` UUIDs. Anything else is
 * refused: undefined, never an exception.
 *
 * Called by the guard directly rather than through passport-jwt: passport's
 * per-request strategy objects, callbacks and rxjs wrapping cost more than
 * the verification itself (bench/payments CPU profile).
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
    const now = Math.floor(nowMs / 1000);
    let claims: unknown;
    try {
      claims = jwt.verify(token, this.key, { algorithms: ['HS256'], issuer: this.issuer, audience: this.audience, clockTimestamp: now });
    } catch {
      return undefined;
    }
    if (!claims || typeof claims !== 'object' || Array.isArray(claims)) return undefined;
    const { sub, sid, exp, iat } = claims as Record<string, unknown>;
    if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(exp) || !Number.isFinite(iat)) return undefined;
    if (exp <= iat || iat > now + IAT_SKEW_SECONDS) return undefined;
    if (typeof sub !== 'string' || typeof sid !== 'string' || !UUID.test(sub) || !UUID.test(sid)) return undefined;
    return { sub, sid };
  }
}
