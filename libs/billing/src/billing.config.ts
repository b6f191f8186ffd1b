import { Transform } from 'class-transformer';
import { IsBoolean, IsString, Matches } from 'class-validator';
import { toBool } from '@app/config';

/** Billing's settings. */
export class BillingConfig {
  /** Let biller webhooks reach private, loopback and link-local addresses (a local receiver in development). */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_NETWORKS = false;

  /** Daily BILL_DUE reminders (UTC cron; 01:00 UTC is 09:00 in Shanghai). */
  @IsString()
  @Matches(/^\S+( \S+){4}$/, { message: 'BILL_DUE_CRON must be a five-field cron expression' })
  BILL_DUE_CRON = '0 1 * * *';
}
