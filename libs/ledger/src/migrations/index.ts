import { Ledger1763700200000 } from './1763700200000-ledger.js';
import { LedgerSchema1764500000200 } from './1764500000200-ledger-schema.js';
import { LedgerFloor1764500000600 } from './1764500000600-ledger-floor.js';
import { LedgerPostMany1764600000200 } from './1764600000200-ledger-post-many.js';
import { LedgerAccountFunction1764700100000 } from './1764700100000-ledger-account-function.js';
import { LedgerFloorApi1764700500000 } from './1764700500000-ledger-floor-api.js';
import { LedgerBalancePlpgsql1764800500150 } from './1764800500150-ledger-balance-plpgsql.js';
import { LedgerPostManySetBased1764800600000 } from './1764800600000-ledger-post-many-set-based.js';
import { LedgerPostFewerStatements1764900400000 } from './1764900400000-ledger-post-fewer-statements.js';

export const ledgerMigrations = [
  Ledger1763700200000,
  LedgerSchema1764500000200,
  LedgerFloor1764500000600,
  LedgerPostMany1764600000200,
  LedgerAccountFunction1764700100000,
  LedgerFloorApi1764700500000,
  LedgerBalancePlpgsql1764800500150,
  LedgerPostManySetBased1764800600000,
  LedgerPostFewerStatements1764900400000,
];
