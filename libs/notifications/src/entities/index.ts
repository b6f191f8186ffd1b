import { WebhookDeliveryEntity } from './webhook-delivery.entity.js';
import { WebhookEndpointEntity } from './webhook-endpoint.entity.js';

/** Notifications' entities, registered with the DataSource through NotificationsModule.entities. */
export const notificationsEntities = [WebhookEndpointEntity, WebhookDeliveryEntity];
