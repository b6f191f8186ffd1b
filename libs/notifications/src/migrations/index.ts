import { Notifications1764600001500 } from './1764600001500-notifications.js';
import { NotifyFunction1764700100100 } from './1764700100100-notify-function.js';
import { WebhookOutbox1764800300000 } from './1764800300000-webhook-outbox.js';
import { EnqueueFunction1764800500100 } from './1764800500100-enqueue-function.js';
import { EnqueueWebhookPlpgsql1764900100100 } from './1764900100100-enqueue-webhook-plpgsql.js';
import { CheaperNotificationWrites1764900500000 } from './1764900500000-cheaper-notification-writes.js';

export const notificationsMigrations = [
  Notifications1764600001500,
  NotifyFunction1764700100100,
  WebhookOutbox1764800300000,
  EnqueueFunction1764800500100,
  EnqueueWebhookPlpgsql1764900100100,
  CheaperNotificationWrites1764900500000,
];
