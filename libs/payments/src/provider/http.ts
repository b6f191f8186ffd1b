import type { ProviderCode } from './payment-provider.js';
import { ProviderCallError } from './payment-provider.js';

export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
}

/** One HTTP call to a provider gateway, with a deadline; network failures become ProviderCallError. */
export async function providerFetch(
  provider: ProviderCode,
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  timeoutMs = 10_000,
): Promise<HttpReply> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new ProviderCallError(provider, `${init.method} ${new URL(url).pathname} failed: ${(err as Error).message}`, { cause: err });
  }
  return { status: response.status, headers: response.headers, text: await response.text() };
}
