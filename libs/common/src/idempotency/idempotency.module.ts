import { Global, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { IDEMPOTENCY_OPTIONS, IdempotencyInterceptor } from './idempotency.interceptor.js';
import type { IdempotencyOptions } from './idempotency.interceptor.js';
import { IdempotencyService } from './idempotency.service.js';

/** Global: every module's @Idempotent() routes resolve the interceptor from here. */
@Global()
@Module({})
export class IdempotencyModule {
  static forRoot(options: IdempotencyOptions): DynamicModule {
    return {
      module: IdempotencyModule,
      providers: [IdempotencyService, { provide: IDEMPOTENCY_OPTIONS, useValue: options }, IdempotencyInterceptor],
      exports: [IdempotencyService, IdempotencyInterceptor, IDEMPOTENCY_OPTIONS],
    };
  }
}
