import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Page } from '@app/common';
import { OrganizationWebhooks } from '@app/notifications';
import type { DeliveryView } from '@app/notifications';
import type { BillRowDb } from './bills.service.js';

/**
 * Biller webhooks, on the notifications outbox: billing decides what a
 * biller hears (each successful payment, `bill_payment.succeeded`), and
 * writes it in the payment's own transaction; notifications signs,
 * delivers, retries and logs it (OrganizationWebhooks, WebhookRelay).
 */
@Injectable()
export class WebhooksService {
  constructor(private readonly webhooks: OrganizationWebhooks) {}

  /** Registers (or replaces) the biller's URL; a new signing secret is returned, shown this once. */
  register(billerId: string, url: string): Promise<{ url: string; secret: string }> {
    return this.webhooks.register(billerId, url);
  }

  /** Inside the payment's transaction: the event exists if and only if the payment does (once per payment). */
  async paymentSucceeded(m: EntityManager, bill: BillRowDb, payment: { id: string; amount: string; currency: string; method: string; receipt_no: string | null; paid_at: Date | null }): Promise<void> {
    await this.webhooks.enqueue(m, {
      organizationId: bill.biller_id,
      type: 'bill_payment.succeeded',
      key: payment.id,
      data: {
        paymentId: payment.id,
        billId: bill.id,
        customerRef: bill.customer_ref,
        period: bill.period,
        amount: Number(payment.amount),
        currency: payment.currency.trim(),
        method: payment.method,
        receiptNo: payment.receipt_no,
        paidAt: (payment.paid_at ?? new Date()).toISOString(),
      },
    });
  }

  /** The biller's deliveries, newest first, `limit` a page, continuing after `after` (the cursor's position). */
  deliveries(billerId: string, limit: number, after?: { at: string; id: string }): Promise<Page<DeliveryView>> {
    return this.webhooks.deliveries(billerId, limit, after);
  }
}
