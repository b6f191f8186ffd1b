import { Module } from '@nestjs/common';
import type { OnModuleInit } from '@nestjs/common';
import { JobsService } from '@app/jobs';
import { LedgerService } from './ledger.service.js';
import { AdjustmentsController, WalletController } from './wallet.controller.js';
import { WalletService } from './wallet.service.js';
import { ledgerEntities } from './entities/index.js';
import { JournalRepository } from './journal.repository.js';
import { LedgerAccountsRepository } from './ledger-accounts.repository.js';
import { ledgerMigrations } from './migrations/index.js';

@Module({
  controllers: [WalletController, AdjustmentsController],
  providers: [LedgerAccountsRepository, JournalRepository, LedgerService, WalletService],
  exports: [LedgerService, WalletService],
})
export class LedgerModule implements OnModuleInit {
  static readonly schema = 'ledger';
  static readonly migrations = ledgerMigrations;
  static readonly entities = ledgerEntities;

  constructor(
    private readonly jobs: JobsService,
    private readonly ledger: LedgerService,
  ) {}

  /** Folds queued hot-account credits into balances every minute (reads are exact either way). */
  onModuleInit(): void {
    this.jobs.register({
      name: 'ledger.roll-up-hot-accounts',
      cron: '* * * * *',
      handler: async () => {
        await this.ledger.rollUpHotAccounts();
      },
    });
  }
}
