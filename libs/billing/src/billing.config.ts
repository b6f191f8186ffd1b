import { Transform } from 'class-transformer';
import { IsBoolean } from 'class-validator';
import { toBool } from '@app/config';

/** Billing's settings. */
export class BillingConfig {
  /** Let biller webhooks reach private, loopback and link-local addresses (a local receiver in development). */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_NETWORKS = false;
}
