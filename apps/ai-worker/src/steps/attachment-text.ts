import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { StepJobData, UnreadableAttachment } from '@statex/contracts';
import { REDIS } from '@statex/redis';
import { attachmentStorageKey, StorageDriver } from '@statex/storage';
import { AiWorkerEnv } from '../ai-worker.env';
import { safeDocx } from './extraction/docx-guard';
import { parseInThread, Unreadable } from './extraction/parser-thread';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const PARSED = ['text/plain', 'application/pdf', DOCX];
/** Larger objects are not read at all (submission accepts 10 MB). */
const MAX_READ_BYTES = 25 * 1024 * 1024;
/** Text files: only this much is decoded (the text kept is far shorter). */
const MAX_TEXT_BYTES = 256 * 1024;
/** A docx part may expand at most this many times its compressed size. */
const MAX_ZIP_RATIO = 100;
/** How long an attachment's text stays cached for the steps, their retries and re-runs. */
const CACHE_TTL_SECONDS = 7 * 24 * 3600;

export type AttachmentReading = { text: string } | { unreadable: string };

export interface FullText {
  /** The message, then each readable attachment's text, at most AI_ANALYSIS_MAX_CHARS. */
  text: string;
  unreadable: UnreadableAttachment[];
}

async function readAll(stream: NodeJS.ReadableStream, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > max) throw new Unreadable(`larger than ${max} bytes`);
    chunks.push(Buffer.from(chunk as Buffer));
  }
  return Buffer.concat(chunks);
}

/**
 * The text of a submission's txt, pdf and docx attachments, read from attachment storage (the
 * same STORAGE_* settings as the submission service). Images carry no text here.
 *
 * Each attachment is parsed once: the outcome (its text, or why it is unreadable) is cached in
 * Redis under the attachment's id, shared by the four steps, their retries and every ai-worker
 * process, and concurrent asks in one process share one parse. Parsing runs in a worker thread
 * with time, heap and memory limits (extraction/parser-thread.ts); a docx is checked and
 * re-packed before mammoth sees it (extraction/docx-guard.ts).
 */
@Injectable()
export class AttachmentText {
  private readonly logger = new Logger(AttachmentText.name);
  private readonly inFlight = new Map<string, Promise<AttachmentReading>>();

  constructor(
    private readonly storage: StorageDriver,
    private readonly env: AiWorkerEnv,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async of(file: { id: string; fileName: string; contentType: string }, submissionId: string): Promise<AttachmentReading> {
    if (!PARSED.includes(file.contentType)) return { text: '' };
    const key = attachmentStorageKey(submissionId, file.id);
    const cacheKey = `${this.env.BULLMQ_PREFIX}:attachment-text:${key}`;
    const running = this.inFlight.get(cacheKey);
    if (running) return running;
    const reading = this.readOnce(file, key, cacheKey).finally(() => this.inFlight.delete(cacheKey));
    this.inFlight.set(cacheKey, reading);
    return reading;
  }

  /** The message followed by the text of each readable attachment, and the attachments that were not. */
  async fullText(job: Pick<StepJobData, 'text' | 'submissionId' | 'attachments'>): Promise<FullText> {
    const parts = [job.text];
    const unreadable: UnreadableAttachment[] = [];
    for (const file of job.attachments ?? []) {
      const reading = await this.of(file, job.submissionId);
      if ('unreadable' in reading) unreadable.push({ id: file.id, fileName: file.fileName, reason: reading.unreadable });
      else if (reading.text) parts.push(reading.text);
    }
    const text = parts.join('\n\n');
    return { text: text.length > this.env.AI_ANALYSIS_MAX_CHARS ? text.slice(0, this.env.AI_ANALYSIS_MAX_CHARS) : text, unreadable };
  }

  private async readOnce(file: { fileName: string; contentType: string }, key: string, cacheKey: string): Promise<AttachmentReading> {
    const cached = await this.redis.get(cacheKey).catch(() => null);
    if (cached !== null) return JSON.parse(cached) as AttachmentReading;
    let reading: AttachmentReading;
    try {
      reading = { text: await this.parse(file.contentType, await readAll(await this.storage.get(key), MAX_READ_BYTES)) };
    } catch (error) {
      // A missing, malformed or hostile file must not sink the analysis of the message itself.
      const reason = error instanceof Unreadable ? error.message : `could not be read: ${(error as Error).message}`;
      this.logger.warn(`Attachment ${file.fileName} (${key}) is unreadable: ${reason}`);
      // A file storage has not got (yet) may appear: only a parse's verdict is final.
      if (!(error instanceof Unreadable)) return { unreadable: reason };
      reading = { unreadable: reason };
    }
    await this.redis.set(cacheKey, JSON.stringify(reading), 'EX', CACHE_TTL_SECONDS).catch((error: Error) => this.logger.warn(`Caching the text of ${key} failed: ${error.message}`));
    return reading;
  }

  private async parse(contentType: string, content: Buffer): Promise<string> {
    const max = this.env.AI_ATTACHMENT_MAX_CHARS;
    let text: string;
    if (contentType === 'text/plain') {
      text = content.subarray(0, MAX_TEXT_BYTES).toString('utf8');
    } else {
      const limits = {
        timeoutMs: this.env.AI_PARSE_TIMEOUT_MS,
        maxHeapMb: this.env.AI_PARSE_MAX_HEAP_MB,
        maxRssMb: this.env.AI_PARSE_MAX_RSS_MB,
        maxChars: max * 2,
        maxPages: this.env.AI_PDF_MAX_PAGES,
      };
      const bytes = contentType === DOCX ? await safeDocx(content, { maxEntryBytes: this.env.AI_DOCX_MAX_EXPANDED_BYTES, maxTotalBytes: this.env.AI_DOCX_MAX_EXPANDED_BYTES, maxRatio: MAX_ZIP_RATIO }) : content;
      text = await parseInThread(contentType === DOCX ? 'docx' : 'pdf', bytes, limits);
    }
    // Collapsing whitespace is linear; the text is at most a few hundred KB here.
    return text.replace(/\s+/g, ' ').trim().slice(0, max);
  }
}
