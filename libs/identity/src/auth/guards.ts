import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import {
  DomainError,
  flattenValidationErrors,
  ForbiddenError,
  IS_PUBLIC_KEY,
  isUnavailableError,
  NotFoundError,
  ServiceUnavailableError,
  UnauthenticatedError,
  ValidationFailedError,
  UUID,
} from '@app/common';
import { LoginDto } from '../dto/auth.dto.js';
import { DeviceAuthFailedError, KycRequiredError } from '../identity.errors.js';
import { IdentityConfig } from '../identity.config.js';
import { type Caller, type DeviceKind, hasOrgRole, isPlatformAdmin, type StaffRole } from '../identity.types.js';
import { ALSO_DEVICE_KEY, DEVICE_KEY, KYC_KEY, ORG_ROLES_KEY, ROLES_KEY } from '@app/common';
import { AccessTokenVerifier, bearerToken } from './access-token-verifier.js';
import { CallerCache } from './caller-cache.js';

/**
 * An error raised while checking credentials (looking up the session, the
 * device, the user) is ours, not the caller's: a database that is down
 * answers 503 with Retry-After, a bug 500. Answering 401 would log a
 * legitimate user out of a client, or make a reader drop a valid request.
 */
function rethrowInfrastructure(err: unknown): void {
  if (!err || err instanceof DomainError) return;
  if (isUnavailableError(err)) throw new ServiceUnavailableError();
  throw err;
}

class DeviceGuard extends AuthGuard('device') {
  override handleRequest<T>(err: unknown, user: T): T {
    if (err instanceof DomainError) throw err;
    rethrowInfrastructure(err);
    if (!user) throw new DeviceAuthFailedError();
    return user;
  }
}

/** What a route asks of its caller, read from its decorators' metadata. */
interface RoutePolicy {
  isPublic: boolean;
  deviceKinds?: DeviceKind[];
  /** A user route these devices may call too (@AlsoDevice). */
  alsoDevices?: DeviceKind[];
  roles?: string[];
  orgRoles?: { roles: StaffRole[]; param: string; allowPlatformAdmin: boolean };
  kyc: boolean;
}

/**
 * A route's policy, read once per controller class and handler: decorator
 * metadata is fixed once the classes are defined, and each read goes through
 * reflect-metadata's maps, several reads for every request otherwise. Keyed by
 * class, then handler: a handler inherited by two controllers may have two
 * policies (class-level decorators differ).
 */
const policies = new WeakMap<object, WeakMap<object, RoutePolicy>>();
function routePolicy(reflector: Reflector, context: ExecutionContext): RoutePolicy {
  const handler = context.getHandler();
  const cls = context.getClass();
  let byHandler = policies.get(cls);
  let policy = byHandler?.get(handler);
  if (policy) return policy;
  const targets = [handler, cls];
  policy = {
    isPublic: !!reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets),
    deviceKinds: reflector.getAllAndOverride<DeviceKind[]>(DEVICE_KEY, targets),
    alsoDevices: reflector.getAllAndOverride<DeviceKind[]>(ALSO_DEVICE_KEY, targets),
    roles: reflector.getAllAndOverride<string[]>(ROLES_KEY, targets),
    orgRoles: reflector.getAllAndOverride<RoutePolicy['orgRoles']>(ORG_ROLES_KEY, targets),
    kyc: !!reflector.getAllAndOverride<boolean>(KYC_KEY, targets),
  };
  // a device passes on its kind alone: a route that also asks roles, organisation roles or KYC of its
  // caller must not be opened to devices (every request to it fails until the decorators agree)
  if (policy.alsoDevices && (policy.roles || policy.orgRoles || policy.kyc)) {
    throw new Error(`@AlsoDevice on ${cls.name}.${handler.name}, which also asks roles or KYC of its caller: devices would skip them`);
  }
  if (!byHandler) policies.set(cls, (byHandler = new WeakMap()));
  byHandler.set(handler, policy);
  return policy;
}

/**
 * The one global guard, fail-closed: every route needs a user token unless
 * it is marked @Public(), or device signatures when it is marked
 * @DeviceAuth(); then roles, organisation roles, KYC and device kinds are
 * checked. (One guard, not two: each global guard costs every request.)
 *
 * User tokens are verified here directly (AccessTokenVerifier), not through
 * passport: the access token is on every request, and passport's machinery
 * around it cost more than the verification itself.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  private readonly device = new DeviceGuard();
  private readonly authorization: AuthorizationGuard;
  private readonly tokens: AccessTokenVerifier;

  constructor(
    private readonly reflector: Reflector,
    private readonly callers: CallerCache,
    @Inject(IdentityConfig) config: IdentityConfig,
  ) {
    this.authorization = new AuthorizationGuard(reflector);
    this.tokens = new AccessTokenVerifier(config.JWT_SECRET!, config.JWT_ISSUER, config.JWT_AUDIENCE);
  }

  /** Public routes are let through at once (no promise of ours): health checks and the web app's assets are most requests. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const policy = routePolicy(this.reflector, context);
    if (policy.isPublic) return true;
    return this.authenticate(context, policy);
  }

  private async authenticate(context: ExecutionContext, policy: RoutePolicy): Promise<boolean> {
    const isDevice = !!policy.deviceKinds || (!!policy.alsoDevices && context.switchToHttp().getRequest<FastifyRequest>().headers['x-device-id'] !== undefined);
    if (isDevice) {
      if (!((await this.device.canActivate(context)) as boolean)) return false;
    } else {
      await this.authenticateUser(context.switchToHttp().getRequest<FastifyRequest & { user?: Caller }>());
    }
    try {
      return this.authorization.canActivate(context);
    } catch (err) {
      // the user may come from the caller cache: a refusal is decided on fresh data (a role or KYC just granted)
      const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Caller }>();
      const cached = request.user;
      if (isDevice || cached?.kind !== 'user' || !(err instanceof ForbiddenError || err instanceof KycRequiredError || err instanceof NotFoundError)) throw err;
      const fresh = await this.callers.caller(cached.id, cached.sessionId, { fresh: true }).catch((e: unknown) => {
        rethrowInfrastructure(e);
        throw e;
      });
      if (!fresh) throw new UnauthenticatedError('A valid access token is required');
      request.user = fresh;
      return this.authorization.canActivate(context);
    }
  }

  /** The caller of a valid access token whose session is still open (CallerCache), as `request.user`; else 401. */
  private async authenticateUser(request: FastifyRequest & { user?: Caller }): Promise<void> {
    const token = bearerToken(request.headers.authorization);
    const payload = token === undefined ? undefined : this.tokens.verify(token);
    if (!payload) throw new UnauthenticatedError('A valid access token is required');
    let caller: Caller | undefined;
    try {
      caller = await this.callers.caller(payload.sub, payload.sid);
    } catch (err) {
      rethrowInfrastructure(err);
      throw err;
    }
    if (!caller) throw new UnauthenticatedError('A valid access token is required');
    request.user = caller;
  }
}

/** Roles, organisation roles, KYC level and device kinds, after authentication. */
@Injectable()
export class AuthorizationGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const policy = routePolicy(this.reflector, context);
    if (policy.isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: Caller }>();
    const caller = request.user;
    if (!caller) throw new UnauthenticatedError();

    const deviceKinds = policy.deviceKinds ?? (caller.kind === 'device' ? policy.alsoDevices : undefined);
    if (deviceKinds) {
      if (caller.kind !== 'device' || !deviceKinds.includes(caller.deviceKind)) {
        throw new ForbiddenError(`This route is for ${deviceKinds.join(' or ')} devices`);
      }
      return true;
    }
    if (caller.kind !== 'user') throw new UnauthenticatedError();

    if (policy.roles?.includes('PLATFORM_ADMIN') && !isPlatformAdmin(caller)) {
      throw new ForbiddenError('Platform administrators only');
    }
    const orgRoles = policy.orgRoles;
    if (orgRoles) {
      const orgId = (request.params as Record<string, string>)[orgRoles.param]?.toLowerCase();
      if (!orgId || !UUID.test(orgId)) throw new NotFoundError('No such organisation');
      const allowed = hasOrgRole(caller, orgId, orgRoles.roles) || (orgRoles.allowPlatformAdmin && isPlatformAdmin(caller));
      if (!allowed) throw new ForbiddenError(`Requires ${orgRoles.roles.join(' or ')} of this organisation`);
    }
    if (policy.kyc && caller.kycLevel < 1) {
      throw new KycRequiredError();
    }
    return true;
  }
}

/** Validates the login body like every other body (400, unknown fields refused) before passport-local sees it. */
@Injectable()
export class LocalAuthGuard extends AuthGuard('local') {
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new ValidationFailedError([{ field: 'body', problems: ['must be a JSON object'] }]);
    }
    const errors = validateSync(plainToInstance(LoginDto, body), { whitelist: true, forbidNonWhitelisted: true });
    if (errors.length) throw new ValidationFailedError(flattenValidationErrors(errors));
    return (await super.canActivate(context)) as boolean;
  }

  override handleRequest<T>(err: unknown, user: T): T {
    if (err instanceof DomainError) throw err;
    rethrowInfrastructure(err);
    if (!user) throw new UnauthenticatedError();
    return user;
  }
}
