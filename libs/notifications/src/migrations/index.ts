import { Notifications1764600001500 } from './1764600001500-notifications.js';

export const notificationsMigrations = [Notifications1764600001500];
