import { Baseline1763700000000 } from './1763700000000-baseline.js';

export const databaseMigrations = [Baseline1763700000000];
