import { Module } from '@nestjs/common';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { LoggingEnv } from './logging.env';

export const loggingService: ServiceDefinition<LoggingEnv> = {
  name: 'logging',
  description: 'Central log ingest and search. Ingest arrives in its own issue; this service boots with its health, metrics and docs endpoints.',
  env: LoggingEnv,
  port: (env) => env.LOGGING_PORT,
  module: (env) => {
    @Module({ imports: [ServiceInfrastructureModule.forRoot({ service: 'logging', env })] })
    class LoggingModule {}
    return LoggingModule;
  },
};
