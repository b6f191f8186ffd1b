import { LedgerAccountEntity } from './ledger-account.entity.js';

/** The ledger's entities, registered with the DataSource through LedgerModule.entities. */
export const ledgerEntities = [LedgerAccountEntity];
