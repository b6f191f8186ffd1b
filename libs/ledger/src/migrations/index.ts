import { Ledger1763700200000 } from './1763700200000-ledger.js';

export const ledgerMigrations = [Ledger1763700200000];
