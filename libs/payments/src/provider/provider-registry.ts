import { AlipayAdapter } from '../adapters/alipay.adapter.js';
import { AlipayHkAdapter } from '../adapters/alipay-hk.adapter.js';
import { UnionPayAdapter } from '../adapters/unionpay.adapter.js';
import { WechatPayAdapter } from '../adapters/wechat-pay.adapter.js';
import { ProviderNotConfiguredError } from '../payments.errors.js';
import type { ProviderCredentials } from './credentials.js';
import type { PaymentProvider, ProviderCode } from './payment-provider.js';

type AdapterFactory = (credentials: unknown, resolveUrl: (url: string) => string) => PaymentProvider;

/** The adapter of each provider code. Adding a provider is one line here. */
const ADAPTERS: Record<ProviderCode, AdapterFactory> = {
  ALIPAY: (c, r) => new AlipayAdapter(c, r),
  WECHAT_PAY: (c, r) => new WechatPayAdapter(c, r),
  UNIONPAY: (c, r) => new UnionPayAdapter(c, r),
  ALIPAY_HK: (c, r) => new AlipayHkAdapter(c, r),
};

/** The configured providers, by code: the only way the platform reaches one. */
export class PaymentProviders {
  private readonly adapters = new Map<ProviderCode, PaymentProvider>();

  constructor(credentials: ProviderCredentials, resolveUrl: (url: string) => string) {
    for (const [code, factory] of Object.entries(ADAPTERS) as [ProviderCode, AdapterFactory][]) {
      const c = credentials[code];
      if (c) this.adapters.set(code, factory(c, resolveUrl));
    }
  }

  get(code: ProviderCode): PaymentProvider {
    const adapter = this.adapters.get(code);
    if (!adapter) throw new ProviderNotConfiguredError(code);
    return adapter;
  }

  all(): PaymentProvider[] {
    return [...this.adapters.values()];
  }
}
