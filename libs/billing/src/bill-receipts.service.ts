import { Injectable } from '@nestjs/common';
import { NotFoundError, UUID } from '@app/common';
import type { Currency } from '@app/common';
import { toPaymentView } from './bill-payment.js';
import type { BillPaymentView, Receipt } from './bill-payment.js';
import { BillPaymentsRepository } from './bill-payments.repository.js';
import { BillsService } from './bills.service.js';

/** A bill payment and its receipt, for its payer. */
@Injectable()
export class BillReceiptsService {
  constructor(
    private readonly repository: BillPaymentsRepository,
    private readonly bills: BillsService,
  ) {}

  /** The payment and its receipt, for its payer only (404 for anyone else). */
  async billPaymentOfPayer(userId: string, paymentId: string): Promise<BillPaymentView & { receipt: Receipt | null; failureReason?: string }> {
    const row = UUID.test(paymentId) ? await this.repository.ofPayer(paymentId, userId) : undefined;
    if (!row) throw new NotFoundError('No such payment');
    const biller = await this.bills.biller(row.biller_id);
    return {
      ...toPaymentView(row),
      ...(row.failure_reason ? { failureReason: row.failure_reason } : {}),
      receipt:
        row.status === 'SUCCEEDED'
          ? {
              receiptNo: row.receipt_no!,
              billerName: biller.name,
              customerRef: row.customer_ref,
              period: row.period,
              amount: Number(row.amount),
              currency: row.currency.trim() as Currency,
              paidAt: row.paid_at!.toISOString(),
            }
          : null,
    };
  }
}
