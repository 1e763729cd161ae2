import { Module } from '@nestjs/common';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { EventLogController } from './events/event-log.controller';
import { EventLogRepository } from './events/event-log.repository';
import { EventLogService } from './events/event-log.service';
import { LoggingEnv } from './logging.env';
import { LOGGING_SCHEMA } from './logging.schema';
import { LogConsumer } from './logs/log-consumer';
import { LogIngestService } from './logs/log-ingest.service';
import { LogLinesRepository } from './logs/log-lines.repository';
import { LogPartitions } from './logs/log-partitions.service';
import { LogSinks } from './logs/log-sinks';
import { LogTail } from './logs/log-tail';
import { LogsController, NDJSON } from './logs/logs.controller';
import { TimelineController } from './timeline/timeline.controller';
import { TimelineService } from './timeline/timeline.service';

/** An NDJSON body of this many bytes at most (the lines limit is LOG_INGEST_MAX_LINES). */
const NDJSON_BODY_LIMIT = 10 * 1024 * 1024;

export const loggingService: ServiceDefinition<LoggingEnv> = {
  name: 'logging',
  description:
    'Central logging: every service ships its log lines here (RabbitMQ `<ns>.logs`, or POST /api/logs as NDJSON); lines are stored in PostgreSQL partitioned by day with retention, searched, tailed live, and joined with the event log (every domain event) into one lead’s timeline.',
  env: LoggingEnv,
  port: (env) => env.LOGGING_PORT,
  configure: async (app) => {
    app
      .getHttpAdapter()
      .getInstance()
      .addContentTypeParser(NDJSON, { parseAs: 'string', bodyLimit: NDJSON_BODY_LIMIT }, (_request, body, done) => done(null, body));
  },
  module: (env) => {
    @Module({
      imports: [ServiceInfrastructureModule.forRoot({ service: 'logging', env, database: LOGGING_SCHEMA })],
      controllers: [LogsController, EventLogController, TimelineController],
      providers: [LogLinesRepository, LogSinks, LogTail, LogIngestService, LogConsumer, LogPartitions, EventLogRepository, EventLogService, TimelineService],
    })
    class LoggingModule {}
    return LoggingModule;
  },
};
