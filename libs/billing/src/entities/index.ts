import { BillEntity } from './bill.entity.js';
import { BillerAccountEntity } from './biller-account.entity.js';
import { BillerEntity } from './biller.entity.js';

/** Billing's entities, registered with the DataSource through BillingModule.entities. */
export const billingEntities = [BillerEntity, BillEntity, BillerAccountEntity];
