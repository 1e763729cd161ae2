import { BullModule } from '@nestjs/bullmq';
import { DynamicModule, Module } from '@nestjs/common';
import { BullMQOtel } from 'bullmq-otel';
import { BaseEnv } from '@statex/config';
import { tracingEnabled } from '@statex/observability/tracing';

/**
 * BullMQ's shared configuration for @nestjs/bullmq: the Redis URL and key prefix from the validated
 * env, and tracing (a job continues the trace that queued it). Queues, flow producers and workers
 * each open their own connections from it (a worker needs a blocking one), and @nestjs/bullmq closes
 * them on shutdown. Only the services that run jobs import it, so the others never load BullMQ.
 */
@Module({})
export class JobsModule {
  static forRoot(): DynamicModule {
    const root = BullModule.forRootAsync({
      inject: [BaseEnv],
      useFactory: (env: BaseEnv) => ({
        connection: { url: env.REDIS_URL, maxRetriesPerRequest: null },
        prefix: env.BULLMQ_PREFIX,
        ...(tracingEnabled() ? { telemetry: new BullMQOtel('statex') } : {}),
      }),
    });
    return { module: JobsModule, global: true, imports: [root], exports: [root] };
  }
}
