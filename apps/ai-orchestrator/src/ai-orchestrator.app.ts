import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AI_STEPS_QUEUE } from '@statex/contracts';
import { JobsModule } from '@statex/jobs';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { AiOrchestratorEnv } from './ai-orchestrator.env';
import { AI_ORCHESTRATOR_SCHEMA } from './ai-orchestrator.schema';
import { StepEvents } from './workflows/step.events';
import { StepQueue } from './workflows/step.queue';
import { WorkflowController } from './workflows/workflow.controller';
import { WorkflowRepository } from './workflows/workflow.repository';
import { WorkflowService } from './workflows/workflow.service';
import { WorkflowAdmission } from './workflows/workflow.admission';

export const aiOrchestratorService: ServiceDefinition<AiOrchestratorEnv> = {
  name: 'ai-orchestrator',
  description: 'One analysis workflow per submission: extract, classify and summarize in parallel, then propose, as BullMQ jobs that ai-workers run.',
  env: AiOrchestratorEnv,
  port: (env) => env.AI_ORCHESTRATOR_PORT,
  module: (env) => {
    @Module({
      imports: [
        ServiceInfrastructureModule.forRoot({ service: 'ai-orchestrator', env, database: AI_ORCHESTRATOR_SCHEMA, redis: true }),
        JobsModule.forRoot(),
        BullModule.registerQueue({ name: AI_STEPS_QUEUE }),
        BullModule.registerFlowProducer({ name: AI_STEPS_QUEUE }),
      ],
      controllers: [WorkflowController],
      providers: [WorkflowRepository, WorkflowService, WorkflowAdmission, StepQueue, StepEvents],
    })
    class AiOrchestratorModule {}
    return AiOrchestratorModule;
  },
};
