import { Module } from '@nestjs/common';
import { AlipayGatewayController, AlipaySandboxGateway } from './gateways/alipay.gateway.js';
import { SandboxController } from './sandbox.controller.js';
import { SandboxKeysService } from './sandbox-keys.service.js';
import { SandboxNotifier } from './sandbox-notifier.service.js';
import { SandboxStore } from './sandbox-store.service.js';
import { SANDBOX_GATEWAYS } from './sandbox.types.js';

/**
 * The provider sandbox (PAYMENT_PROVIDERS=sandbox): each provider's gateway,
 * speaking its real wire protocol and signing scheme under /sandbox, with
 * its own keys, trades and settlement files. The platform reaches it only
 * over HTTP, exactly as it would reach the real gateways.
 */
@Module({
  controllers: [SandboxController, AlipayGatewayController],
  providers: [
    SandboxStore,
    SandboxKeysService,
    SandboxNotifier,
    { provide: SANDBOX_GATEWAYS, useValue: [new AlipaySandboxGateway()] },
  ],
  exports: [SandboxKeysService],
})
export class ProviderSandboxModule {}
