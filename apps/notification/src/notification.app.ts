import { Module } from '@nestjs/common';
import { MESSAGING_ENTITIES, MESSAGING_MIGRATIONS } from '@statex/messaging';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { EmailSender } from './email/email.sender';
import { CreateNotificationTables1764115400000 } from './migrations/1764115400000-create-notification-tables';
import { AcknowledgementService } from './notifications/acknowledgement.service';
import { NOTIFICATION_ENTITIES } from './notifications/entities';
import { NotificationEventsController } from './notifications/notification-events.controller';
import { NotificationController } from './notifications/notification.controller';
import { NotificationRepository } from './notifications/notification.repository';
import { NotificationEnv } from './notification.env';

export const notificationService: ServiceDefinition<NotificationEnv> = {
  name: 'notification',
  description: 'Notification delivery: the acknowledgement email of every new request (Telegram, WhatsApp and LinkedIn arrive with the notification issue).',
  env: NotificationEnv,
  port: (env) => env.NOTIFICATION_PORT,
  module: (env) => {
    @Module({
      imports: [
        ServiceInfrastructureModule.forRoot({
          service: 'notification',
          env,
          database: {
            entities: [...NOTIFICATION_ENTITIES, ...MESSAGING_ENTITIES],
            migrations: [...MESSAGING_MIGRATIONS, CreateNotificationTables1764115400000],
          },
        }),
      ],
      controllers: [NotificationController, NotificationEventsController],
      providers: [EmailSender, NotificationRepository, AcknowledgementService],
    })
    class NotificationModule {}
    return NotificationModule;
  },
};
