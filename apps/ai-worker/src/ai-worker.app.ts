import { Module } from '@nestjs/common';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { AiWorkerEnv } from './ai-worker.env';

export const aiWorkerService: ServiceDefinition<AiWorkerEnv> = {
  name: 'ai-worker',
  description: 'Stateless analysis steps that scale out. The analysis arrives with the AI pipeline issue; this service boots with its health, metrics and docs endpoints.',
  env: AiWorkerEnv,
  port: (env) => env.AI_WORKER_PORT,
  module: (env) => {
    @Module({ imports: [ServiceInfrastructureModule.forRoot({ service: 'ai-worker', env, redis: true })] })
    class AiWorkerModule {}
    return AiWorkerModule;
  },
};
