import { Transform } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { toInt } from '@app/config';

/** Settings of citizen notifications. */
export class NotificationsConfig {
  /** Heartbeat of the live notification streams (GET /v1/me/events) and liveness check of their LISTEN connection, ms. */
  @Transform(toInt)
  @IsInt()
  @Min(1000)
  @Max(300000)
  NOTIFICATIONS_HEARTBEAT_MS = 15000;
}
