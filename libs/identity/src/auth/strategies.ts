import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { Strategy as CustomStrategyBase } from 'passport-custom';
import { Strategy as LocalStrategyBase } from 'passport-local';
import { DevicesService } from '../devices/devices.service.js';
import type { AuthenticatedDevice } from '../identity.types.js';
import type { UserRow } from '../users.service.js';
import { AuthService } from './auth.service.js';

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
