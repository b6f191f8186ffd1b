import { AuditEventEntity } from './audit-event.entity.js';
import { DeviceEntity } from './device.entity.js';
import { OrganizationEntity } from './organization.entity.js';
import { UserEntity } from './user.entity.js';

/** Identity's entities, registered with the DataSource through IdentityModule.entities. */
export const identityEntities = [UserEntity, OrganizationEntity, DeviceEntity, AuditEventEntity];
