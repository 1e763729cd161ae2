import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ServiceDefinition, ServiceInfrastructureModule } from '@statex/runtime';
import { StorageModule } from '@statex/storage';
import { MultipartFormReader } from './attachments/multipart-form.reader';
import { SUBMISSION_ENTITIES } from './submissions/entities';
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
        }),
        TypeOrmModule.forFeature(SUBMISSION_ENTITIES),
        StorageModule.forRoot(
          env.STORAGE_DRIVER === 's3'
            ? {
                driver: 's3',
                endpoint: env.S3_ENDPOINT,
                region: env.S3_REGION,
                bucket: env.S3_BUCKET,
                accessKeyId: env.S3_ACCESS_KEY_ID,
                secretAccessKey: env.S3_SECRET_ACCESS_KEY,
                forcePathStyle: env.S3_FORCE_PATH_STYLE,
              }
            : { driver: 'local', localDir: env.STORAGE_LOCAL_DIR },
        ),
      ],
      controllers: [SubmissionController, SubmissionEventsController],
      providers: [SubmissionService, SubmissionRepository, MultipartFormReader],
    })
    class SubmissionModule {}
    return SubmissionModule;
  },
};
