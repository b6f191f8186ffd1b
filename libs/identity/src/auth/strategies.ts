import { UUID } from '@app/common';
import { Inject, Injectable } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt, Strategy as JwtStrategyBase } from 'passport-jwt';
import { Strategy as CustomStrategyBase } from 'passport-custom';
import { Strategy as LocalStrategyBase } from 'passport-local';
import { IdentityConfig } from '../identity.config.js';
import { DevicesService } from '../devices/devices.service.js';
import type { AuthenticatedDevice, AuthenticatedUser } from '../identity.types.js';
import type { UserRow } from '../users.service.js';
import { AuthService } from './auth.service.js';
import { CallerCache } from './caller-cache.js';
import type { AccessTokenPayload } from './tokens.service.js';

/** Phone and password (POST /v1/auth/login). The body is validated by LocalAuthGuard first. */
@Injectable()
export class LocalStrategy extends PassportStrategy(LocalStrategyBase, 'local') {
  constructor(private readonly auth: AuthService) {
    super({ usernameField: 'phone', passwordField: 'password', passReqToCallback: true, session: false });
  }

  validate(req: FastifyRequest, phone: string, password: string): Promise<UserRow> {
    return this.auth.checkCredentials(phone, password, { requestId: String(req.id), ip: req.ip });
  }
}

/** Clock difference tolerated on a token's issue time. */
const IAT_SKEW_SECONDS = 60;

/**
 * Bearer access tokens: HS256 only, issuer, audience and expiry checked (exp
 * and iat required), session still open (per CallerCache: read at most every
 * few seconds per session). The HMAC key is a KeyObject made once: given the
 * secret as a string, jsonwebtoken would try it as a public key and then
 * build a secret key on every verification.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(JwtStrategyBase, 'jwt') {
  constructor(
    private readonly callers: CallerCache,
    @Inject(IdentityConfig) config: IdentityConfig,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt hands the key to jsonwebtoken as is, which takes a KeyObject (its types say string | Buffer)
      secretOrKey: createSecretKey(Buffer.from(config.JWT_SECRET!, 'utf8')) as unknown as string,
      algorithms: ['HS256'],
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ignoreExpiration: false,
    });
  }

  async validate(payload: AccessTokenPayload & { exp?: unknown; iat?: unknown }): Promise<AuthenticatedUser | false> {
    if (typeof payload?.sub !== 'string' || typeof payload?.sid !== 'string') return false;
    // passport-jwt checks exp only when present: a token without one would never expire
    if (!Number.isFinite(payload.exp) || !Number.isFinite(payload.iat)) return false;
    if ((payload.iat as number) > Date.now() / 1000 + IAT_SKEW_SECONDS || (payload.exp as number) <= (payload.iat as number)) return false;
    if (!UUID.test(payload.sub) || !UUID.test(payload.sid)) return false;
    return (await this.callers.caller(payload.sub, payload.sid)) ?? false;
  }
}

/** HMAC-signed device requests (bus readers, POS). */
@Injectable()
export class DeviceStrategy extends PassportStrategy(CustomStrategyBase, 'device') {
  constructor(private readonly devices: DevicesService) {
    super();
  }

  validate(req: FastifyRequest & { rawBody?: Buffer }): Promise<AuthenticatedDevice> {
    return this.devices.authenticate({ method: req.method, url: req.url, headers: req.headers, rawBody: req.rawBody });
  }
}
