import { IsString, Matches } from 'class-validator';

/** Billing's settings. */
export class BillingConfig {
  /** Daily BILL_DUE reminders (UTC cron; 01:00 UTC is 09:00 in Shanghai). */
  @IsString()
  @Matches(/^\S+( \S+){4}$/, { message: 'BILL_DUE_CRON must be a five-field cron expression' })
  BILL_DUE_CRON = '0 1 * * *';
}
