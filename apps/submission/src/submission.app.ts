import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { StorageModule, storageOptionsFrom } from '@statex/storage';
import { MultipartFormReader } from './attachments/multipart-form.reader';
import { SUBMISSION_ENTITIES } from './submissions/entities';
import { FormRateLimits } from './submissions/form-rate-limits';
import { SubmissionEventsController } from './submissions/submission-events.controller';
import { SubmissionController } from './submissions/submission.controller';
import { SubmissionRepository } from './submissions/submission.repository';
import { SubmissionService } from './submissions/submission.service';
import { SubmissionEnv } from './submission.env';
import { SUBMISSION_SCHEMA } from './submission.schema';

export const submissionService: ServiceDefinition<SubmissionEnv> = {
  name: 'submission',
  description: 'Contact-form intake with attachments, and each lead’s status and timeline.',
  env: SubmissionEnv,
  port: (env) => env.SUBMISSION_PORT,
  multipart: (env) => ({ fileSize: env.ATTACHMENT_MAX_BYTES, files: env.ATTACHMENT_MAX_FILES }),
  module: (env) => {
    @Module({
      imports: [
        ServiceInfrastructureModule.forRoot({
          service: 'submission',
          env,
          database: SUBMISSION_SCHEMA,
          // The contact form's rate limits.
          redis: true,
        }),
        TypeOrmModule.forFeature(SUBMISSION_ENTITIES),
        StorageModule.forRoot(storageOptionsFrom(env)),
      ],
      controllers: [SubmissionController, SubmissionEventsController],
      providers: [SubmissionService, SubmissionRepository, MultipartFormReader, FormRateLimits],
    })
    class SubmissionModule {}
    return SubmissionModule;
  },
};
