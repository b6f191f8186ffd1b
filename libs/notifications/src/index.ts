export { NotificationsModule } from './notifications.module.js';
export { NotificationsService } from './notifications.service.js';
export type { NotificationView, NotificationPage } from './notifications.service.js';
export { NOTIFICATION_TYPES, NOTIFICATION_LANGUAGES, isNotificationType, renderNotification, formatMoney, pickLanguage } from './domain/notification-types.js';
export type { NotificationType, NotificationData, NotificationInput, NotificationLanguage, MoneyJson } from './domain/notification-types.js';
export { NotificationsConfig } from './notifications.config.js';
export { OrganizationWebhooks } from './organization-webhooks.js';
export { WebhookRelay } from './webhook-relay.js';
export type { DeliveryView, WebhookEvent } from './organization-webhooks.js';
