import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type Redis from 'ioredis';
import type { StepJobData, UnreadableAttachment } from '@statex/contracts';
import { REDIS } from '@statex/redis';
import { attachmentStorageKey, StorageDriver } from '@statex/storage';
import { AiWorkerEnv } from '../ai-worker.env';
import { safeDocx } from './extraction/docx-guard';
import { parseInThread, Unreadable } from './extraction/parser-thread';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const PARSED = ['text/plain', 'application/pdf', DOCX];
/** Parsed in a thread, costly enough to share across processes (a text file is only decoded). */
const THREADED = ['application/pdf', DOCX];
/** Larger objects are not read at all (submission accepts 10 MB). */
const MAX_READ_BYTES = 25 * 1024 * 1024;
/** Text files: only this much is decoded (the text kept is far shorter). */
const MAX_TEXT_BYTES = 256 * 1024;
/** A docx part may expand at most this many times its compressed size. */
const MAX_ZIP_RATIO = 100;
/** How long an attachment's text stays cached for the steps, their retries and re-runs. */
const CACHE_TTL_SECONDS = 7 * 24 * 3600;

export type AttachmentReading = { text: string } | { unreadable: string };

/**
 * The parse lock: one process parses an attachment, the others wait for its result in the cache.
 * `ttlMs` is how long the lock outlives a holder that stopped renewing it (died); the holder renews
 * it every third of that while it reads and parses. A waiter looks at the cache every `pollMs`, takes
 * the lock when it is gone without a result, and parses on its own after `waitMs` whatever happens.
 */
export interface ParseLockOptions {
  ttlMs: number;
  pollMs: number;
  /** Default: twice AI_PARSE_TIMEOUT_MS (a holder may have one parse queued before ours) plus ttlMs. */
  waitMs?: number;
}

export const PARSE_LOCK_OPTIONS = Symbol('PARSE_LOCK_OPTIONS');
const DEFAULT_LOCK: ParseLockOptions = { ttlMs: 3000, pollMs: 100 };

/** Renews or deletes a lock only while it still holds our token (another process's lock is never touched). */
const RENEW = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

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
 * Redis under the attachment's storage key, shared by the four steps, their retries and every
 * ai-worker process; concurrent asks in one process share one parse, and across processes a pdf or
 * docx is parsed by the one that holds its parse lock (Redis, SET NX PX, renewed while it works)
 * while the others wait for the cached result (see ParseLockOptions). Parsing runs in a worker thread
 * with time, heap and memory limits (extraction/parser-thread.ts); a docx is checked and
 * re-packed before mammoth sees it (extraction/docx-guard.ts).
 */
@Injectable()
export class AttachmentText {
  private readonly logger = new Logger(AttachmentText.name);
  private readonly inFlight = new Map<string, Promise<AttachmentReading>>();
  private readonly lock: Required<ParseLockOptions>;

  constructor(
    private readonly storage: StorageDriver,
    private readonly env: AiWorkerEnv,
    @Inject(REDIS) private readonly redis: Redis,
    @Optional() @Inject(PARSE_LOCK_OPTIONS) lock?: Partial<ParseLockOptions>,
  ) {
    const options = { ...DEFAULT_LOCK, ...lock };
    this.lock = { ...options, waitMs: options.waitMs ?? 2 * env.AI_PARSE_TIMEOUT_MS + options.ttlMs };
  }

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

  /**
   * The cached outcome, or this process's own read: for a pdf or docx only while it holds the parse
   * lock, or once the bounded wait for another process's result is over.
   */
  private async readOnce(file: { fileName: string; contentType: string }, key: string, cacheKey: string): Promise<AttachmentReading> {
    if (!THREADED.includes(file.contentType)) return (await this.cached(cacheKey)) ?? this.read(file, key, cacheKey);
    const lockKey = `${cacheKey}:lock`;
    const token = randomUUID();
    const waitUntil = Date.now() + this.lock.waitMs;
    for (;;) {
      const cached = await this.cached(cacheKey);
      if (cached) return cached;
      const acquired = await this.redis.set(lockKey, token, 'PX', this.lock.ttlMs, 'NX').then(
        (answer) => answer === 'OK',
        // Redis unreachable: no cache and no lock either; this process reads on its own.
        () => true,
      );
      if (acquired) return this.readHolding(file, key, cacheKey, lockKey, token);
      if (Date.now() >= waitUntil) {
        this.logger.warn(`Attachment ${file.fileName} (${key}): another process has held its parse lock for ${this.lock.waitMs} ms without a result; parsing it here`);
        return this.read(file, key, cacheKey);
      }
      await sleep(this.lock.pollMs);
    }
  }

  /** Reads while holding the lock (renewed meanwhile), then lets it go. */
  private async readHolding(file: { fileName: string; contentType: string }, key: string, cacheKey: string, lockKey: string, token: string): Promise<AttachmentReading> {
    const renew = setInterval(() => {
      this.redis.eval(RENEW, 1, lockKey, token, this.lock.ttlMs).catch(() => undefined);
    }, Math.max(1, Math.floor(this.lock.ttlMs / 3)));
    try {
      // The previous holder may have cached its result between our look and our lock.
      return (await this.cached(cacheKey)) ?? (await this.read(file, key, cacheKey));
    } finally {
      clearInterval(renew);
      await this.redis.eval(RELEASE, 1, lockKey, token).catch(() => undefined);
    }
  }

  private async cached(cacheKey: string): Promise<AttachmentReading | undefined> {
    const cached = await this.redis.get(cacheKey).catch(() => null);
    return cached === null ? undefined : (JSON.parse(cached) as AttachmentReading);
  }

  /** Reads and parses the file, and caches a final outcome (its text, or a parse's verdict). */
  private async read(file: { fileName: string; contentType: string }, key: string, cacheKey: string): Promise<AttachmentReading> {
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

  /** The text of one file's bytes (protected: a test counts the parses). */
  protected async parse(contentType: string, content: Buffer): Promise<string> {
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
