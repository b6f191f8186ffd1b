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

/**
 * The configured providers, by code: the only way the platform reaches one.
 * Credentials are loaded on first use (the sandbox's live in tables that
 * exist only once migrations ran), and again after a failure.
 */
export class PaymentProviders {
  private adapters?: Promise<Map<ProviderCode, PaymentProvider>>;

  constructor(
    private readonly loadCredentials: () => Promise<ProviderCredentials>,
    private readonly resolveUrl: (url: string) => string,
  ) {}

  private load(): Promise<Map<ProviderCode, PaymentProvider>> {
    this.adapters ??= (async () => {
      const credentials = await this.loadCredentials();
      const adapters = new Map<ProviderCode, PaymentProvider>();
      for (const [code, factory] of Object.entries(ADAPTERS) as [ProviderCode, AdapterFactory][]) {
        const c = credentials[code];
        if (c) adapters.set(code, factory(c, this.resolveUrl));
      }
      return adapters;
    })();
    this.adapters.catch(() => (this.adapters = undefined));
    return this.adapters;
  }

  async get(code: ProviderCode): Promise<PaymentProvider> {
    const adapter = (await this.load()).get(code);
    if (!adapter) throw new ProviderNotConfiguredError(code);
    return adapter;
  }

  async all(): Promise<PaymentProvider[]> {
    return [...(await this.load()).values()];
  }
}
