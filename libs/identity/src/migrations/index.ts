import { Identity1763700100000 } from './1763700100000-identity.js';
import { IdentitySchema1764500000100 } from './1764500000100-identity-schema.js';
import { OrganizationsWithoutProfiles1764500000900 } from './1764500000900-organizations-without-profiles.js';
import { UserBirthDate1764700400000 } from './1764700400000-user-birth-date.js';

export const identityMigrations = [Identity1763700100000, IdentitySchema1764500000100, OrganizationsWithoutProfiles1764500000900, UserBirthDate1764700400000];
