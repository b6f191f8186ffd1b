import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { withTransactionRetry } from '@app/database';
import { InsufficientFundsError } from '@app/ledger';
import { BillNotices } from './bill-notices.service.js';
import { isAmountRefusal } from './bill-payment.js';
import { BillPaymentsRepository } from './bill-payments.repository.js';
import { PayBillService } from './pay-bill.service.js';

/** Why auto-pay did not pay (recorded on the attempt, visible to the citizen). */
class AutopayRefusal extends Error {}

/** The auto-pay job: a linked account's new bill paid from the wallet within its cap, once. */
@Injectable()
export class AutopayService {
  private readonly logger = new Logger('BillPayments');

  constructor(
    private readonly dataSource: DataSource,
    private readonly repository: BillPaymentsRepository,
    private readonly payBill: PayBillService,
    private readonly notices: BillNotices,
  ) {}

  /**
   * Pays the bill's outstanding amount from the wallet if within the
   * account's cap, once; records why not otherwise. The attempt is claimed,
   * the cap read and the bill locked in the paying transaction, so a cap
   * change or another payment in between is seen. `final`: the job's last
   * try, after which an unexpected error is recorded too.
   */
  async runAutopay(attemptId: string, final = false): Promise<void> {
    // the failure and the citizen's AUTO_PAY_FAILED notification, in one transaction
    const fail = (reason: string) => this.notices.autopayFailed(attemptId, reason);
    try {
      await withTransactionRetry(this.dataSource, async (m) => {
        // claimed first: whatever happens, this attempt pays at most once
        const attempt = await this.repository.claimAutopay(m, attemptId);
        if (!attempt) return;
        const account = await this.repository.autopayAccount(m, attempt.account_id);
        const outstanding = await this.repository.lockOutstanding(m, attempt.bill_id);
        if (account.cap === null) throw new AutopayRefusal('AUTOPAY_OFF');
        if (outstanding > BigInt(account.cap)) throw new AutopayRefusal(`CAP_EXCEEDED: ${outstanding} is above the cap ${account.cap}`);
        const result = await this.payBill.payFromWallet(m, account.user_id, attempt.bill_id, undefined, attempt.account_id);
        await this.repository.setAutopayPayment(m, attemptId, result.payment.id);
      });
    } catch (err) {
      if (err instanceof AutopayRefusal) return void (await fail(err.message));
      if (err instanceof InsufficientFundsError) return void (await fail('INSUFFICIENT_FUNDS: the wallet is short'));
      if (isAmountRefusal(err)) return void (await fail((err as { code: string }).code));
      if (final) {
        await fail('ERROR: auto-pay could not run; pay this bill yourself');
        this.logger.error({ err, attemptId }, 'auto-pay failed for good');
        return;
      }
      this.logger.error({ err, attemptId }, 'auto-pay failed; retried');
      throw err;
    }
  }
}
