import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { MultipartForm, readMultipartForm } from '@statex/uploads';
import { SubmissionEnv } from '../submission.env';

export type { UploadedFile } from '@statex/uploads';
export type SubmissionForm = MultipartForm;

const FILE_FIELD = 'attachments';

/**
 * Reads the contact form (multipart/form-data): fields as strings, files in `attachments`,
 * each streamed to a temporary file under the size cap and typed by its content
 * (@statex/uploads). Rejects with 413 (too large or too many), 415 (refused type) or 400.
 */
@Injectable()
export class MultipartFormReader {
  constructor(private readonly env: SubmissionEnv) {}

  read(request: FastifyRequest): Promise<SubmissionForm> {
    return readMultipartForm(request, {
      fileField: FILE_FIELD,
      maxFileBytes: this.env.ATTACHMENT_MAX_BYTES,
      maxFiles: this.env.ATTACHMENT_MAX_FILES,
      typingTimeoutMs: this.env.ATTACHMENT_TYPING_TIMEOUT_MS,
    });
  }
}
