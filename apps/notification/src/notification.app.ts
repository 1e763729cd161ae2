import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { JobsModule } from '@statex/jobs';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { ChannelsModule } from './channels/channels.module';
import { ChannelsReadinessCheck } from './channels/channels.readiness';
import { DeliveryProcessor } from './delivery/delivery.processor';
import { DeliveryQueues, deliveryQueuesModule } from './delivery/delivery.queues';
import { mountQueuesDashboard } from './delivery/queues.dashboard';
import { NotificationEventsController } from './notifications/notification-events.controller';
import { NotificationController } from './notifications/notification.controller';
import { overdueTasksGauge } from './notifications/notification.metrics';
import { NotificationRepository } from './notifications/notification.repository';
import { NotificationService } from './notifications/notification.service';
import { NotificationEnv } from './notification.env';
import { NOTIFICATION_SCHEMA } from './notification.schema';
import { TemplateController } from './templates/template.controller';
import { TemplateRenderer } from './templates/template.renderer';

@Injectable()
class OverdueTasksMetric implements OnModuleInit {
  constructor(
    private readonly repository: NotificationRepository,
    private readonly notifications: NotificationService,
  ) {}
  onModuleInit(): void {
    overdueTasksGauge(() => this.repository.countOverdue(this.notifications.slaStart()));
  }
}

export const notificationService: ServiceDefinition<NotificationEnv> = {
  name: 'notification',
  description:
    'Notification delivery over email, Telegram, WhatsApp and LinkedIn (manual tasks): by HTTP or by event, queued per channel, retried, with fallback. Queue dashboard at /queues.',
  env: NotificationEnv,
  port: (env) => env.NOTIFICATION_PORT,
  configure: (app, env) => mountQueuesDashboard(app, env),
  module: (env) => {
    @Module({
      imports: [
        ServiceInfrastructureModule.forRoot({ service: 'notification', env, database: NOTIFICATION_SCHEMA, redis: true, checks: [ChannelsReadinessCheck] }),
        JobsModule.forRoot(),
        ChannelsModule,
        deliveryQueuesModule(),
      ],
      controllers: [NotificationController, TemplateController, NotificationEventsController],
      providers: [NotificationRepository, NotificationService, TemplateRenderer, DeliveryProcessor, DeliveryQueues, OverdueTasksMetric],
    })
    class NotificationModule {}
    return NotificationModule;
  },
};
