import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequestException, HttpException, Injectable, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { SubmissionEnv } from '../submission.env';
import { ACCEPTED_TYPES, detectFileType, isAccepted } from './attachment-type';

export interface UploadedFile {
  /** The name the client gave; kept for display only. */
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
  /** A temporary file; the caller moves it into storage or calls `discard`. */
  path: string;
}

export interface SubmissionForm {
  fields: Record<string, string>;
  files: UploadedFile[];
  discard(): Promise<void>;
}

const FILE_FIELD = 'attachments';

/**
 * Reads a multipart/form-data contact form: fields as strings, each file streamed
 * to a temporary file with the size cap enforced while streaming, then typed by its
 * content. Rejects with 413 (too large or too many), 415 (refused type) or 400.
 */
@Injectable()
export class MultipartFormReader {
  constructor(private readonly env: SubmissionEnv) {}

  async read(request: FastifyRequest): Promise<SubmissionForm> {
    const dir = await mkdtemp(join(tmpdir(), 'statex-upload-'));
    const fields: Record<string, string> = {};
    const files: UploadedFile[] = [];
    const discard = () => rm(dir, { recursive: true, force: true });
    const maxMb = Math.round((this.env.ATTACHMENT_MAX_BYTES / (1024 * 1024)) * 10) / 10;
    try {
      for await (const part of request.parts()) {
        if (part.type === 'field') {
          if (part.fieldname in fields) throw new BadRequestException(`Field "${part.fieldname}" was sent more than once`);
          fields[part.fieldname] = String(part.value);
          continue;
        }
        if (part.fieldname !== FILE_FIELD) {
          part.file.resume();
          throw new BadRequestException(`Files are accepted only in the "${FILE_FIELD}" field, not "${part.fieldname}"`);
        }
        const fileName = (part.filename || 'attachment').slice(0, 255);
        const path = join(dir, randomUUID());
        const hash = createHash('sha256');
        let size = 0;
        const measure = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            size += chunk.length;
            hash.update(chunk);
            callback(null, chunk);
          },
        });
        try {
          await pipeline(part.file, measure, createWriteStream(path));
        } catch (error) {
          if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE' || part.file.truncated) {
            throw new PayloadTooLargeException(`Attachment "${fileName}" is larger than ${maxMb} MB`);
          }
          throw error;
        }
        if (part.file.truncated) throw new PayloadTooLargeException(`Attachment "${fileName}" is larger than ${maxMb} MB`);
        if (size === 0) throw new BadRequestException(`Attachment "${fileName}" is empty`);
        const type = await detectFileType(path);
        if (!type || !isAccepted(type)) {
          const what = type ? `a ${type.mime} file` : 'of an unrecognised type';
          throw new UnsupportedMediaTypeException(`Attachment "${fileName}" is ${what}; accepted: ${Object.keys(ACCEPTED_TYPES).join(', ')}`);
        }
        files.push({ fileName, contentType: type.mime, size: (await stat(path)).size, sha256: hash.digest('hex'), path });
      }
    } catch (error) {
      await discard();
      const code = (error as { code?: string }).code;
      if (code === 'FST_FILES_LIMIT') throw new PayloadTooLargeException(`At most ${this.env.ATTACHMENT_MAX_FILES} attachments are accepted`);
      if (code === 'FST_REQ_FILE_TOO_LARGE') throw new PayloadTooLargeException(`An attachment is larger than ${maxMb} MB`);
      // Ours, the disk's, or a bug: not the client's fault.
      if (error instanceof HttpException || (error as { syscall?: string }).syscall || error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError) throw error;
      // Errors with a 4xx statusCode keep it (the error filter answers with it); the parser's own
      // errors (no boundary, a body cut short, a malformed part) are the client's.
      const status = (error as { statusCode?: number }).statusCode;
      if (status && status >= 400 && status < 500) throw error;
      throw new BadRequestException(`Malformed multipart/form-data body: ${(error as Error).message}`);
    }
    return { fields, files, discard };
  }
}
