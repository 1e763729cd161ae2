import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BadRequestException, HttpException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ACCEPTED_TYPES, AcceptedExt, detectFileType, FileTypeTimeout } from './file-type';
import { controlCharacterIn, printable } from './form-text';

export interface UploadedFile {
  /** The name the client gave; kept for display only (no control characters, at most 255 characters). */
  fileName: string;
  /** The type its content was found to be, never what the client declared. */
  contentType: string;
  size: number;
  sha256: string;
  /** A temporary file; the caller moves it into storage or calls `discard`. */
  path: string;
}

export interface MultipartForm {
  fields: Record<string, string>;
  files: UploadedFile[];
  /** Removes every temporary file. */
  discard(): Promise<void>;
}

export interface MultipartFormOptions {
  /** The one field files are accepted in. */
  fileField: string;
  /** Size cap of one file, enforced while streaming (also set on the multipart plugin). */
  maxFileBytes: number;
  /** Most files in one form. */
  maxFiles: number;
  /** Types accepted (default: all of ACCEPTED_TYPES). */
  accept?: readonly AcceptedExt[];
  /** Hard time limit for typing one file (default 5 s). */
  typingTimeoutMs?: number;
  /** Where the form's temporary directory is made (default: the OS temporary directory). */
  tempDir?: string;
}

export interface TempFile {
  path: string;
  size: number;
  sha256: string;
}

/**
 * Streams `source` to a new file at `path`, hashing it on the way; rejects with 413 once it
 * passes `maxBytes` (checked here too, not only by the multipart parser).
 */
export async function streamToTempFile(source: Readable, path: string, maxBytes: number, name = 'the file'): Promise<TempFile> {
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      if (size > maxBytes) return callback(tooLarge(name, maxBytes));
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(source, measure, createWriteStream(path));
  return { path, size, sha256: hash.digest('hex') };
}

function megabytes(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}

function tooLarge(name: string, maxBytes: number): PayloadTooLargeException {
  return new PayloadTooLargeException(`Attachment ${name} is larger than ${megabytes(maxBytes)} MB`);
}

/**
 * Reads a multipart/form-data form: fields as strings, each file streamed to a temporary file
 * with the size cap enforced while streaming, then typed by its content with a hard time limit.
 * Field names, values and file names are checked for NUL and control characters (400 naming
 * the field). Rejects with 413 (too large or too many), 415 (refused type, or not typed in time)
 * or 400 (malformed), and removes every temporary file when it does.
 */
export async function readMultipartForm(request: FastifyRequest, options: MultipartFormOptions): Promise<MultipartForm> {
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'statex-upload-'));
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  const discard = () => rm(dir, { recursive: true, force: true });
  const accept = options.accept ?? (Object.keys(ACCEPTED_TYPES) as AcceptedExt[]);
  try {
    for await (const part of request.parts()) {
      const nameProblem = controlCharacterIn(part.fieldname, 'name');
      if (nameProblem) {
        if (part.type === 'file') part.file.resume();
        throw new BadRequestException(`Field name ${printable(part.fieldname)} contains ${nameProblem}`);
      }
      if (part.type === 'field') {
        if (part.fieldname in fields) throw new BadRequestException(`Field "${part.fieldname}" was sent more than once`);
        if (part.valueTruncated) throw new PayloadTooLargeException(`Field "${part.fieldname}" is too long`);
        const value = String(part.value);
        const problem = controlCharacterIn(value, 'text');
        if (problem) throw new BadRequestException(`Field "${part.fieldname}" contains ${problem}`);
        fields[part.fieldname] = value;
        continue;
      }
      if (part.fieldname !== options.fileField) {
        part.file.resume();
        throw new BadRequestException(`Files are accepted only in the "${options.fileField}" field, not "${part.fieldname}"`);
      }
      const given = part.filename ?? '';
      const fileProblem = controlCharacterIn(given, 'name');
      if (fileProblem) {
        part.file.resume();
        throw new BadRequestException(`File name ${printable(given)} in "${part.fieldname}" contains ${fileProblem}`);
      }
      const fileName = (given.trim() || 'attachment').slice(0, 255);
      const shown = printable(fileName);
      let saved: TempFile;
      try {
        saved = await streamToTempFile(part.file, join(dir, randomUUID()), options.maxFileBytes, shown);
      } catch (error) {
        if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE' || part.file.truncated) throw tooLarge(shown, options.maxFileBytes);
        throw error;
      }
      if (part.file.truncated) throw tooLarge(shown, options.maxFileBytes);
      if (saved.size === 0) throw new BadRequestException(`Attachment ${shown} is empty`);
      let type;
      try {
        type = await detectFileType(saved.path, { timeoutMs: options.typingTimeoutMs, accept });
      } catch (error) {
        if (error instanceof FileTypeTimeout) throw new UnsupportedMediaTypeException(`Attachment ${shown} could not be typed in time; accepted: ${accept.join(', ')}`);
        throw error;
      }
      if (!type) throw new UnsupportedMediaTypeException(`Attachment ${shown} is not of an accepted type; accepted: ${accept.join(', ')} (a text file must be UTF-8 throughout, and not HTML, SVG or XML)`);
      files.push({ fileName, contentType: type.mime, size: saved.size, sha256: saved.sha256, path: saved.path });
    }
  } catch (error) {
    await discard();
    const code = (error as { code?: string }).code;
    if (code === 'FST_FILES_LIMIT') throw new PayloadTooLargeException(`At most ${options.maxFiles} attachments are accepted`);
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw new PayloadTooLargeException(`An attachment is larger than ${megabytes(options.maxFileBytes)} MB`);
    if (code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') throw new PayloadTooLargeException('The form has too many fields');
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
