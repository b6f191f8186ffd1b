import { Global, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import { IDEMPOTENCY_OPTIONS, IdempotencyInterceptor } from './idempotency.interceptor.js';
import type { IdempotencyOptions } from './idempotency.interceptor.js';
import { IdempotencyService } from './idempotency.service.js';

@Global()
@Module({})
export class IdempotencyModule {
  static forRoot(options: IdempotencyOptions): DynamicModule {
    return {
      module: IdempotencyModule,
      providers: [
        IdempotencyService,
        { provide: IDEMPOTENCY_OPTIONS, useValue: options },
        {
          provide: APP_INTERCEPTOR,
          inject: [Reflector, IdempotencyService, IDEMPOTENCY_OPTIONS],
          useFactory: (reflector: Reflector, store: IdempotencyService, opts: IdempotencyOptions) =>
            new IdempotencyInterceptor(reflector, store, opts),
        },
      ],
      exports: [IdempotencyService],
    };
  }
}
