import { Identity1763700100000 } from './1763700100000-identity.js';

export const identityMigrations = [Identity1763700100000];
