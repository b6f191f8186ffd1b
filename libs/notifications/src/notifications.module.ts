import { Module } from '@nestjs/common';
import { NotificationsConfig } from './notifications.config.js';
import { notificationsMigrations } from './migrations/index.js';
import { NotificationStreams } from './notification-streams.js';
import { NotificationsController } from './notifications.controller.js';
import { NotificationsRepository } from './notifications.repository.js';
import { NotificationsService } from './notifications.service.js';
import { notificationsEntities } from './entities/index.js';
import { OrganizationWebhooks } from './organization-webhooks.js';
import { WebhookRelay } from './webhook-relay.js';
import { WebhooksRepository } from './webhooks.repository.js';

/**
 * Citizen notifications (api.md, "Notifications and live events"): the
 * outbox other contexts write to in their own transactions
 * (NotificationsService.notify), the list, the read marks and the live
 * stream across API processes (LISTEN/NOTIFY wakes, the outbox is the truth);
 * and organisations' signed webhooks, written to their outbox the same way
 * (OrganizationWebhooks.enqueue) and delivered by WebhookRelay.
 */
@Module({
  controllers: [NotificationsController],
  providers: [NotificationsRepository, NotificationsService, NotificationStreams, WebhooksRepository, OrganizationWebhooks, WebhookRelay],
  exports: [NotificationsService, OrganizationWebhooks],
})
export class NotificationsModule {
  static readonly schema = 'notifications';
  static readonly config = NotificationsConfig;
  static readonly migrations = notificationsMigrations;
  static readonly entities = notificationsEntities;
}
