export { ProviderSandboxModule, createSandboxGateways } from './provider-sandbox.module.js';
export { SandboxKeysService } from './sandbox-keys.service.js';
export { SANDBOX_PROVIDERS } from './sandbox.types.js';
export type { SandboxProvider, GatewaySecrets, KeyPair, OutgoingNotification, SandboxTrade, SandboxRefund, SettlementEntry } from './sandbox.types.js';
// the gateways themselves, for the adapters' contract specs (a real gateway answering a real adapter)
export { AlipaySandboxGateway } from './gateways/alipay.gateway.js';
export { AlipayHkSandboxGateway } from './gateways/alipay-hk.gateway.js';
export { certificateChain, UnionPayGatewayController, UnionPaySandboxGateway } from './gateways/unionpay.gateway.js';
export { WechatPaySandboxGateway } from './gateways/wechat-pay.gateway.js';
