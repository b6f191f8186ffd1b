/** Who calls: the vocabulary of the route decorators and guards, shared by every context. */
export const PLATFORM_ROLES = ['PLATFORM_ADMIN', 'ORG_ADMIN', 'ORG_OPERATOR'] as const;
export type PlatformRole = (typeof PLATFORM_ROLES)[number];
export const STAFF_ROLES = ['ORG_ADMIN', 'ORG_OPERATOR'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

export const ORGANIZATION_KINDS = ['BILLER', 'TRANSIT_OPERATOR', 'UNIVERSITY', 'MERCHANT'] as const;
export type OrganizationKind = (typeof ORGANIZATION_KINDS)[number];
export const CURRENCIES = ['CNY', 'HKD', 'MOP'] as const;
export const DEVICE_KINDS = ['BUS_READER', 'POS'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export interface RoleGrant {
  role: PlatformRole;
  organizationId?: string;
}

/** The caller of a user-authenticated request (request.user). */
export interface AuthenticatedUser {
  kind: 'user';
  id: string;
  phone: string;
  kycLevel: 0 | 1;
  roles: RoleGrant[];
  sessionId: string;
}

/** The caller of a device-authenticated request (request.user). */
export interface AuthenticatedDevice {
  kind: 'device';
  id: string;
  deviceKind: DeviceKind;
  label: string;
  organizationId: string;
  organizationKind: OrganizationKind;
}

export type Caller = AuthenticatedUser | AuthenticatedDevice;
