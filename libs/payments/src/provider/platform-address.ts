import { Inject, Injectable, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { AppConfig } from '@app/config';
import { PaymentsConfig } from '../payments.config.js';
import type { ProviderCode } from './payment-provider.js';

/**
 * Where the providers reach this platform (notify URLs) and where gateway
 * paths starting with "/" live (the sandbox): PUBLIC_BASE_URL when set,
 * else this server's own listening address, else PORT on the loopback
 * (one-shot commands talking to a running API).
 */
@Injectable()
export class PlatformAddress {
  constructor(
    @Inject(PaymentsConfig) private readonly config: PaymentsConfig,
    @Inject(AppConfig) private readonly app: AppConfig,
    @Optional() private readonly host?: HttpAdapterHost,
  ) {}

  baseUrl(): string {
    if (this.config.PUBLIC_BASE_URL) return this.config.PUBLIC_BASE_URL;
    const server = this.host?.httpAdapter?.getHttpServer() as { address(): AddressInfo | string | null } | undefined;
    const address = server?.address();
    if (address && typeof address === 'object') {
      const host = address.address === '::' || address.address === '0.0.0.0' ? '127.0.0.1' : address.address.includes(':') ? `[${address.address}]` : address.address;
      return `http://${host}:${address.port}`;
    }
    return `http://127.0.0.1:${this.app.PORT}`;
  }

  resolve(url: string): string {
    return url.startsWith('/') ? this.baseUrl() + url : url;
  }

  notifyUrl(provider: ProviderCode): string {
    return `${this.baseUrl()}/v1/providers/${provider}/notifications`;
  }
}
