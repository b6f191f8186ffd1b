import { useQuery } from '@tanstack/react-query';
import { get } from '../../api/client';
import type { Checkout, PaymentOrder, Provider } from '../../api/types';

/**
 * A provider checkout, kept for the order's page (api.md's GET
 * /v1/payment-orders/:id does not promise it) so a reload still shows the QR.
 */
export function rememberCheckout(orderId: string, checkout: Checkout): void {
  sessionStorage.setItem(`citypay.checkout.${orderId}`, JSON.stringify(checkout));
}

export function recallCheckout(orderId: string): Checkout | null {
  const raw = sessionStorage.getItem(`citypay.checkout.${orderId}`);
  return raw ? (JSON.parse(raw) as Checkout) : null;
}

/**
 * A payment order followed until the provider's word: asked again every 2 s
 * while PENDING (a wallet top-up's page, a campus card top-up's).
 */
export function usePaymentOrder(orderId: string | undefined) {
  return useQuery({
    queryKey: ['payment-order', orderId],
    queryFn: () => get<PaymentOrder>(`/v1/payment-orders/${encodeURIComponent(orderId!)}`),
    enabled: !!orderId,
    refetchInterval: (q) => (q.state.data?.status === 'PENDING' ? 2000 : false),
  });
}

export interface SandboxTrade {
  provider: Provider;
  providerTradeId: string;
  status: 'WAITING' | 'PAID' | 'FAILED' | 'CLOSED';
  amount: number;
  currency: string;
}

/** The provider sandbox answers for this trade only when the server runs with PAYMENT_PROVIDERS=sandbox. */
export function useSandboxTrade(provider: string | undefined, tradeId: string | undefined, poll = false) {
  return useQuery({
    queryKey: ['sandbox', provider, tradeId],
    queryFn: () => get<SandboxTrade>(`/sandbox/${provider}/trades/${encodeURIComponent(tradeId!)}`, { auth: false }),
    enabled: !!provider && !!tradeId,
    retry: false,
    refetchInterval: poll ? 2000 : false,
  });
}
