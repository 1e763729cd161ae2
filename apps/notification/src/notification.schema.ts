import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS } from '@statex/messaging';
import { CreateNotificationTables1764115400000 } from './migrations/1764115400000-create-notification-tables';
import { NotificationChannels1764115600000 } from './migrations/1764115600000-notification-channels';
import { NotificationErasure1764600000000 } from './migrations/1764600000000-notification-erasure';
import { NOTIFICATION_ENTITIES } from './notifications/entities';

/** The notification database: its entities and migrations, in order. */
export const NOTIFICATION_SCHEMA = {
  entities: [...NOTIFICATION_ENTITIES, ...MESSAGING_ENTITIES],
  migrations: [...MESSAGING_MIGRATIONS, CreateNotificationTables1764115400000, NotificationChannels1764115600000, NotificationErasure1764600000000],
};
