import { Module } from '@nestjs/common';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { EmailSender } from './email/email.sender';
import { AcknowledgementService } from './notifications/acknowledgement.service';
import { NotificationEventsController } from './notifications/notification-events.controller';
import { NotificationController } from './notifications/notification.controller';
import { NotificationRepository } from './notifications/notification.repository';
import { NotificationEnv } from './notification.env';
import { NOTIFICATION_SCHEMA } from './notification.schema';

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
          database: NOTIFICATION_SCHEMA,
        }),
      ],
      controllers: [NotificationController, NotificationEventsController],
      providers: [EmailSender, NotificationRepository, AcknowledgementService],
    })
    class NotificationModule {}
    return NotificationModule;
  },
};
