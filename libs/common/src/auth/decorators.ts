/**
 * Route metadata read by identity's guards, in common so that any context can
 * mark its routes without importing identity.
 */
import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedDevice, AuthenticatedUser, DeviceKind, StaffRole } from './caller.js';

export const ROLES_KEY = 'identity:roles';
export const ORG_ROLES_KEY = 'identity:orgRoles';
export const KYC_KEY = 'identity:kyc';
export const DEVICE_KEY = 'identity:device';
export const ALSO_DEVICE_KEY = 'identity:alsoDevice';

/** Only platform administrators. */
export const PlatformAdmin = (): MethodDecorator & ClassDecorator => SetMetadata(ROLES_KEY, ['PLATFORM_ADMIN']);

export interface OrgRoleOptions {
  /** Route parameter that names the organisation (default `orgId`). */
  param?: string;
  /** Let platform administrators through as well. */
  allowPlatformAdmin?: boolean;
}

/**
 * Staff of the organisation named by the route parameter, with one of these
 * roles: `@OrgRole('ORG_ADMIN')`. Staff of another organisation get 403.
 */
export const OrgRole = (roles: StaffRole | StaffRole[], options: OrgRoleOptions = {}): MethodDecorator & ClassDecorator =>
  SetMetadata(ORG_ROLES_KEY, { roles: Array.isArray(roles) ? roles : [roles], param: options.param ?? 'orgId', allowPlatformAdmin: options.allowPlatformAdmin ?? false });

/** Money-moving routes: the caller must be real-name verified (403 KYC_REQUIRED). */
export const RequireKyc = (): MethodDecorator & ClassDecorator => SetMetadata(KYC_KEY, true);

/** Authenticated by the X-Device-* HMAC headers instead of a user token. */
export const DeviceAuth = (...kinds: DeviceKind[]): MethodDecorator & ClassDecorator =>
  SetMetadata(DEVICE_KEY, kinds.length ? kinds : ['BUS_READER', 'POS']);

/**
 * A user route that these devices may call too, by the X-Device-* headers
 * (a request carrying X-Device-Id is authenticated as a device, any other
 * by its user token): one path for a merchant's staff and its POS. The
 * handler takes `@CurrentCaller()` and checks what each may do.
 */
export const AlsoDevice = (...kinds: DeviceKind[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ALSO_DEVICE_KEY, kinds.length ? kinds : ['BUS_READER', 'POS']);

export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthenticatedUser => {
  const user = ctx.switchToHttp().getRequest<FastifyRequest & { user?: AuthenticatedUser }>().user;
  if (!user || user.kind !== 'user') throw new Error('CurrentUser used on a route that is not user-authenticated');
  return user;
});

export const CurrentDevice = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthenticatedDevice => {
  const device = ctx.switchToHttp().getRequest<FastifyRequest & { user?: AuthenticatedDevice }>().user;
  if (!device || device.kind !== 'device') throw new Error('CurrentDevice used on a route that is not device-authenticated');
  return device;
});

/** The caller of an @AlsoDevice() route: a user or a device. */
export const CurrentCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthenticatedUser | AuthenticatedDevice => {
  const caller = ctx.switchToHttp().getRequest<FastifyRequest & { user?: AuthenticatedUser | AuthenticatedDevice }>().user;
  if (!caller) throw new Error('CurrentCaller used on a route that is not authenticated');
  return caller;
});
