import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { toBool, toInt } from '@app/config';

/** Settings of citizen notifications and organisations' webhooks. */
export class NotificationsConfig {
  /** Heartbeat of the live notification streams (GET /v1/me/events) and liveness check of their LISTEN connection, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(300000)
  NOTIFICATIONS_HEARTBEAT_MS = 15000;

  /** Let organisations' webhooks reach private, loopback and link-local addresses (a local receiver in development). */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_NETWORKS = false;

  /** How often each job-running process looks for due webhook deliveries in the outbox, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(50)
  @Max(60000)
  WEBHOOK_RELAY_INTERVAL_MS = 1000;
}
