import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { AI_STEPS_QUEUE } from '@statex/contracts';
import { JobsModule } from '@statex/jobs';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { StorageModule, storageOptionsFrom } from '@statex/storage';
import { AiWorkerEnv } from './ai-worker.env';
import { AnalysisService } from './analysis/analysis.service';
import { AnalyzeController } from './analysis/analyze.controller';
import { categoryKeywords } from './analysis/local/lexicon';
import { LocalProvider } from './analysis/local/local.provider';
import { AttachmentText } from './steps/attachment-text';
import { StepWorker } from './steps/step.worker';

export const aiWorkerService: ServiceDefinition<AiWorkerEnv> = {
  name: 'ai-worker',
  description: 'Stateless analysis steps (extract, classify, summarize, propose) taken from the ai-steps queue; `POST /api/analyze` runs them synchronously.',
  env: AiWorkerEnv,
  port: (env) => env.AI_WORKER_PORT,
  module: (env) => {
    @Module({
      imports: [
        ServiceInfrastructureModule.forRoot({ service: 'ai-worker', env, redis: true }),
        JobsModule.forRoot(),
        BullModule.registerQueue({ name: AI_STEPS_QUEUE }),
        StorageModule.forRoot(storageOptionsFrom(env)),
      ],
      controllers: [AnalyzeController],
      providers: [{ provide: LocalProvider, useFactory: () => new LocalProvider(env.AI_CATEGORIES.split(','), categoryKeywords(env.AI_CATEGORY_KEYWORDS)) }, AnalysisService, StepWorker, AttachmentText],
    })
    class AiWorkerModule {}
    return AiWorkerModule;
  },
};
