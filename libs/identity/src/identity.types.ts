import type { AuthenticatedUser, StaffRole } from '@app/common';

export {
  PLATFORM_ROLES,
  STAFF_ROLES,
  ORGANIZATION_KINDS,
  CURRENCIES,
  DEVICE_KINDS,
} from '@app/common';
export type { PlatformRole, StaffRole, OrganizationKind, DeviceKind, RoleGrant, AuthenticatedUser, AuthenticatedDevice, Caller } from '@app/common';

export function isPlatformAdmin(user: AuthenticatedUser): boolean {
  return user.roles.some((r) => r.role === 'PLATFORM_ADMIN');
}

export function hasOrgRole(user: AuthenticatedUser, organizationId: string, roles: readonly StaffRole[]): boolean {
  return user.roles.some((r) => r.organizationId === organizationId && (roles as readonly string[]).includes(r.role));
}
