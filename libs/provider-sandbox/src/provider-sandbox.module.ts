import { Module } from '@nestjs/common';
import { providerSandboxMigrations } from './migrations/index.js';
import { AlipayGatewayController, AlipaySandboxGateway } from './gateways/alipay.gateway.js';
import { GatewayOutage } from './gateway-outage.interceptor.js';
import { WechatPayGatewayController, WechatPaySandboxGateway } from './gateways/wechat-pay.gateway.js';
import { AlipayHkGatewayController, AlipayHkSandboxGateway } from './gateways/alipay-hk.gateway.js';
import { UnionPayGatewayController, UnionPaySandboxGateway } from './gateways/unionpay.gateway.js';
import { SandboxController } from './sandbox.controller.js';
import { SandboxKeysService } from './sandbox-keys.service.js';
import { SandboxNotifier } from './sandbox-notifier.service.js';
import { SandboxStore } from './sandbox-store.service.js';
import { SANDBOX_GATEWAYS } from './sandbox.types.js';
import type { SandboxGateway } from './sandbox.types.js';

/** One gateway per provider. */
export function createSandboxGateways(): SandboxGateway[] {
  return [new AlipaySandboxGateway(), new WechatPaySandboxGateway(), new UnionPaySandboxGateway(), new AlipayHkSandboxGateway()];
}

/**
 * The provider sandbox (PAYMENT_PROVIDERS=sandbox): each provider's gateway,
 * speaking its real wire protocol and signing scheme under /sandbox, with
 * its own keys, trades and settlement files. The platform reaches it only
 * over HTTP, exactly as it would reach the real gateways.
 */
@Module({
  controllers: [SandboxController, AlipayGatewayController, WechatPayGatewayController, UnionPayGatewayController, AlipayHkGatewayController],
  providers: [
    SandboxStore,
    SandboxKeysService,
    SandboxNotifier,
    GatewayOutage,
    { provide: SANDBOX_GATEWAYS, useFactory: createSandboxGateways },
  ],
  exports: [SandboxKeysService],
})
export class ProviderSandboxModule {
  static readonly schema = 'sandbox';
  static readonly migrations = providerSandboxMigrations;
}
