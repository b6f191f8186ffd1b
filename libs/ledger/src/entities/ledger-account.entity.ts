import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintTransformer } from '@app/database';
import type { OwnerType } from '../account-spec.js';

/**
 * An account of the double-entry ledger (ledger.ledger_accounts). Only the
 * ledger writes it, and its balance only through ledger_post() and the
 * hot-account roll-up; properties carry the column names.
 */
@Entity({ schema: 'ledger', name: 'ledger_accounts' })
export class LedgerAccountEntity {
  @PrimaryColumn({ type: 'uuid' })
  id: string;

  @Column({ type: 'text' })
  owner_type: OwnerType;

  @Column({ type: 'text' })
  owner_id: string;

  @Column({ type: 'text' })
  purpose: string;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'boolean' })
  allow_negative: boolean;

  @Column({ type: 'boolean' })
  hot: boolean;

  /** How far below zero a posting with `useFloor` may take it. */
  @Column({ type: 'bigint', transformer: bigintTransformer })
  floor: bigint;

  /** The stored balance; a hot account's queued credits come on top (see LedgerAccountsRepository.exactBalance). */
  @Column({ type: 'bigint', transformer: bigintTransformer })
  balance: bigint;
}
