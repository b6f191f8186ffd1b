import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { PaycodeKeysController } from './paycode-keys.controller.js';
import { PaycodeKeysService } from './paycode-keys.service.js';
import { paycodeKeysMigrations } from './migrations/index.js';

/**
 * The pay-code signing keys (schema `paycode`), for transit and campus:
 * import this module and inject PaycodeKeysService (signer(), jwks()).
 * Serves POST /v1/admin/paycode-keys/rotate.
 */
@Module({
  imports: [IdentityModule],
  controllers: [PaycodeKeysController],
  providers: [PaycodeKeysService],
  exports: [PaycodeKeysService],
})
export class PaycodeKeysModule {
  static readonly schema = 'paycode';
  static readonly migrations = paycodeKeysMigrations;
}
