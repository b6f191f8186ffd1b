import { Global, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { IDEMPOTENCY_OPTIONS, IdempotencyInterceptor } from './idempotency.interceptor.js';
import type { IdempotencyOptions } from './idempotency.interceptor.js';
import { IdempotencyClaimBatch1764900600200 } from './claim-batch-migration.js';
import { IdempotencyClaimFresh1764900700300 } from './claim-fresh-migration.js';
import { IdempotencyClaimFunction1764900100000 } from './claim-function-migration.js';
import { IdempotencyClaimSetWise1764900700200 } from './claim-set-wise-migration.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { IdempotencyService } from './idempotency.service.js';
import { Idempotency1763700150000, IdempotencyOwners1764500000950 } from './migration.js';
import { IdempotencyRecordFunction1764800200000 } from './record-function-migration.js';
import { CommonSchema1764500000000 } from './schema-migration.js';

/** Global: every module's @Idempotent() routes resolve the interceptor from here. */
@Global()
@Module({})
export class IdempotencyModule {
  static readonly schema = 'common';
  static readonly migrations = [
    Idempotency1763700150000, CommonSchema1764500000000, IdempotencyOwners1764500000950, IdempotencyRecordFunction1764800200000,
    IdempotencyClaimFunction1764900100000,
    IdempotencyClaimBatch1764900600200,
    IdempotencyClaimSetWise1764900700200,
    IdempotencyClaimFresh1764900700300,
  ];

  static forRoot(options: IdempotencyOptions): DynamicModule {
    return {
      module: IdempotencyModule,
      providers: [IdempotencyRepository, IdempotencyService, { provide: IDEMPOTENCY_OPTIONS, useValue: options }, IdempotencyInterceptor],
      exports: [IdempotencyService, IdempotencyInterceptor, IDEMPOTENCY_OPTIONS],
    };
  }
}
