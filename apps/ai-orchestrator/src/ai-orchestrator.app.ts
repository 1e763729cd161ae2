import { Module } from '@nestjs/common';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { AiOrchestratorEnv } from './ai-orchestrator.env';

export const aiOrchestratorService: ServiceDefinition<AiOrchestratorEnv> = {
  name: 'ai-orchestrator',
  description: 'One analysis workflow per lead, its steps run as BullMQ jobs. The workflows arrive with the AI pipeline issue; this service boots with its health, metrics and docs endpoints.',
  env: AiOrchestratorEnv,
  port: (env) => env.AI_ORCHESTRATOR_PORT,
  module: (env) => {
    @Module({ imports: [ServiceInfrastructureModule.forRoot({ service: 'ai-orchestrator', env, redis: true })] })
    class AiOrchestratorModule {}
    return AiOrchestratorModule;
  },
};
