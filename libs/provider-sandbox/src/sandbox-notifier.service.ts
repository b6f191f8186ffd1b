import { Inject, Injectable, Logger } from '@nestjs/common';
import { SandboxKeysService } from './sandbox-keys.service.js';
import { SandboxStore } from './sandbox-store.service.js';
import { SANDBOX_GATEWAYS } from './sandbox.types.js';
import type { NotificationOverrides, SandboxGateway, SandboxProvider, SandboxTrade } from './sandbox.types.js';

export interface DeliveryReport {
  mode: 'NORMAL' | 'DROP' | 'DUPLICATE' | 'DELAY_MS';
  /** Undefined when the provider sends no notification for this outcome (WeChat Pay on a failed payment). */
  notificationId?: string;
  /** Deliveries made before the answer (DELAY_MS delivers later; DROP never). */
  deliveries: { status: number; acknowledged: boolean }[];
}

/**
 * Sends the platform the signed notification of a trade's outcome, over
 * HTTP to the notify URL the trade was created with, as the fault switch
 * says: once (NORMAL), never (DROP), twice at the same moment (DUPLICATE),
 * or once after delayMs (DELAY_MS).
 */
@Injectable()
export class SandboxNotifier {
  private readonly logger = new Logger('ProviderSandbox');
  private readonly gateways: Map<SandboxProvider, SandboxGateway>;

  constructor(
    @Inject(SANDBOX_GATEWAYS) gateways: SandboxGateway[],
    private readonly keys: SandboxKeysService,
    private readonly store: SandboxStore,
  ) {
    this.gateways = new Map(gateways.map((g) => [g.provider, g]));
  }

  gateway(provider: SandboxProvider): SandboxGateway {
    const g = this.gateways.get(provider);
    if (!g) throw new Error(`no sandbox gateway for ${provider}`);
    return g;
  }

  async notify(trade: SandboxTrade, overrides: NotificationOverrides = {}, ignoreFaults = false): Promise<DeliveryReport> {
    const gateway = this.gateway(trade.provider);
    const secrets = await this.keys.gatewaySecrets(trade.provider);
    const fault = ignoreFaults ? { mode: 'NORMAL' as const, delayMs: 0 } : await this.store.fault(trade.provider);
    // built when sent: a delayed notification carries the time it is sent at, as a real retry does
    const deliver = async (message = gateway.notification(trade, secrets, overrides)): Promise<{ status: number; acknowledged: boolean }> => {
      if (!message) return { status: 0, acknowledged: false };
      try {
        const res = await fetch(trade.notifyUrl, {
          method: 'POST',
          headers: message.headers,
          body: message.body,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        return { status: res.status, acknowledged: gateway.acknowledged(res.status, text) };
      } catch (err) {
        this.logger.warn(`${trade.provider} notification to ${trade.notifyUrl} failed: ${(err as Error).message}`);
        return { status: 0, acknowledged: false };
      }
    };
    const first = gateway.notification(trade, secrets, overrides);
    const report: DeliveryReport = { mode: fault.mode, notificationId: first?.notificationId, deliveries: [] };
    if (!first) return report;
    switch (fault.mode) {
      case 'DROP':
        break;
      case 'DUPLICATE':
        report.deliveries = await Promise.all([deliver(first), deliver(first)]);
        break;
      case 'DELAY_MS':
        setTimeout(() => void deliver(), fault.delayMs);
        break;
      default:
        report.deliveries = [await deliver(first)];
    }
    return report;
  }
}
