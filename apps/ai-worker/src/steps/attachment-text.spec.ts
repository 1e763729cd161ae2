import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { loadEnv } from '@statex/config';
import { attachmentStorageKey, LocalStorageDriver } from '@statex/storage';
import { fixtures } from '@statex/testing';
import { hostile } from '../../../../test/fixtures/hostile/corpus';
import { AiWorkerEnv } from '../ai-worker.env';
import { AttachmentText, ParseLockOptions } from './attachment-text';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** An AttachmentText that counts its parses, optionally slowed down before each. */
class CountingText extends AttachmentText {
  parses = 0;
  slowMs = 0;
  protected override async parse(contentType: string, content: Buffer): Promise<string> {
    this.parses += 1;
    if (this.slowMs) await new Promise((r) => setTimeout(r, this.slowMs));
    return super.parse(contentType, content);
  }
}

describe('attachment text', () => {
  const root = mkdtempSync(join(tmpdir(), 'statex-text-'));
  const storage = new LocalStorageDriver(root);
  const env = loadEnv(AiWorkerEnv, { BULLMQ_PREFIX: `text-${process.pid}-${Date.now()}`, AI_PARSE_TIMEOUT_MS: '3000' });
  const redis = new Redis(env.REDIS_URL, { lazyConnect: true });
  const reader = new AttachmentText(storage, env, redis);
  const put = async (submissionId: string, id: string, content: Buffer) => {
    const source = join(mkdtempSync(join(tmpdir(), 'statex-src-')), id);
    writeFileSync(source, content);
    await storage.putFile(attachmentStorageKey(submissionId, id), source);
  };

  beforeAll(async () => {
    await storage.init();
    await put('sub-1', 'txt', fixtures.txt('Notes: we also need a loyalty programme.'));
    await put('sub-1', 'pdf', fixtures.pdfWithText('Brief: an online shop with card payments'));
    await put('sub-1', 'docx', fixtures.docx('Specification: iOS and Android app with push notifications'));
    await put('sub-1', 'png', fixtures.png());
  });
  /** Another ai-worker process: its own storage driver on the same files, its own Redis connection. */
  const processes: Redis[] = [];
  const otherProcess = (lock?: Partial<ParseLockOptions>, overrides: Record<string, string> = {}) => {
    const connection = new Redis(env.REDIS_URL);
    processes.push(connection);
    return new CountingText(new LocalStorageDriver(root), loadEnv(AiWorkerEnv, { BULLMQ_PREFIX: env.BULLMQ_PREFIX, AI_PARSE_TIMEOUT_MS: '3000', ...overrides }), connection, lock);
  };
  const lockKey = (submissionId: string, id: string) => `${env.BULLMQ_PREFIX}:attachment-text:${attachmentStorageKey(submissionId, id)}:lock`;

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.quit()));
    const keys = await redis.keys(`${env.BULLMQ_PREFIX}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('reads the text of txt, pdf and docx files and skips images', async () => {
    const { text, unreadable } = await reader.fullText({
      text: 'See the attached files.',
      submissionId: 'sub-1',
      attachments: [
        { id: 'txt', fileName: 'notes.txt', contentType: 'text/plain' },
        { id: 'pdf', fileName: 'brief.pdf', contentType: 'application/pdf' },
        { id: 'docx', fileName: 'spec.docx', contentType: DOCX },
        { id: 'png', fileName: 'logo.png', contentType: 'image/png' },
        { id: 'missing', fileName: 'gone.txt', contentType: 'text/plain' },
      ],
    });
    expect(text).toContain('See the attached files.');
    expect(text).toContain('loyalty programme');
    expect(text).toContain('Brief: an online shop with card payments');
    expect(text).toContain('Specification: iOS and Android app with push notifications');
    expect(unreadable.map((u) => u.id)).toEqual(['missing']);
  });

  it('parses each attachment once: the steps and their retries read the cached text', async () => {
    const file = { id: 'pdf', fileName: 'brief.pdf', contentType: 'application/pdf' };
    await reader.of(file, 'sub-1');
    // Gone from storage: only the cache can still answer.
    const cacheKey = `${env.BULLMQ_PREFIX}:attachment-text:${attachmentStorageKey('sub-1', 'pdf')}`;
    expect(JSON.parse((await redis.get(cacheKey))!)).toEqual({ text: 'Brief: an online shop with card payments' });
    const other = new AttachmentText(new LocalStorageDriver(mkdtempSync(join(tmpdir(), 'statex-empty-'))), env, redis);
    expect(await other.of(file, 'sub-1')).toEqual({ text: 'Brief: an online shop with card payments' });
  });

  it('across processes, one parses an attachment and the others take its cached result (parse lock)', async () => {
    await put('sub-3', 'pdf', fixtures.pdfWithText('Brief: a booking system for a clinic'));
    await put('sub-3', 'bomb', hostile.docxBomb());
    const one = otherProcess();
    const two = otherProcess();
    const pdf = { id: 'pdf', fileName: 'brief.pdf', contentType: 'application/pdf' };
    const bomb = { id: 'bomb', fileName: 'bomb.docx', contentType: DOCX };
    const [a, b] = await Promise.all([one.of(pdf, 'sub-3'), two.of(pdf, 'sub-3')]);
    expect(a).toEqual({ text: 'Brief: a booking system for a clinic' });
    expect(b).toEqual(a);
    expect(one.parses + two.parses).toBe(1);
    // An unreadable verdict is shared the same way.
    const [c, d] = await Promise.all([two.of(bomb, 'sub-3'), one.of(bomb, 'sub-3')]);
    expect(c).toEqual({ unreadable: expect.stringMatching(/compression ratio|expands to/) });
    expect(d).toEqual(c);
    expect(one.parses + two.parses).toBe(2);
    // The holders let their locks go.
    expect(await redis.exists(lockKey('sub-3', 'pdf'), lockKey('sub-3', 'bomb'))).toBe(0);
  });

  it('a holder renews its lock while its parse runs longer than the lock lives: the waiter still does not parse', async () => {
    await put('sub-4', 'pdf', fixtures.pdfWithText('Brief: a slow parse'));
    const lock = { ttlMs: 300, pollMs: 50, waitMs: 20_000 };
    const holder = otherProcess(lock);
    holder.slowMs = 1500;
    const waiter = otherProcess(lock);
    const file = { id: 'pdf', fileName: 'brief.pdf', contentType: 'application/pdf' };
    const first = holder.of(file, 'sub-4');
    await new Promise((r) => setTimeout(r, 100));
    const [a, b] = await Promise.all([first, waiter.of(file, 'sub-4')]);
    expect(b).toEqual(a);
    expect({ holder: holder.parses, waiter: waiter.parses }).toEqual({ holder: 1, waiter: 0 });
  });

  it('a waiter parses on its own once a dead holder’s lock expires without a result', async () => {
    await put('sub-5', 'pdf', fixtures.pdfWithText('Brief: the holder died'));
    // A process took the lock and died: nobody renews it, nobody caches a result.
    await redis.set(lockKey('sub-5', 'pdf'), 'a-dead-process', 'PX', 1000);
    const waiter = otherProcess({ ttlMs: 1000, pollMs: 50, waitMs: 20_000 });
    const started = Date.now();
    expect(await waiter.of({ id: 'pdf', fileName: 'brief.pdf', contentType: 'application/pdf' }, 'sub-5')).toEqual({ text: 'Brief: the holder died' });
    const waited = Date.now() - started;
    expect(waiter.parses).toBe(1);
    // It waited for the dead holder's lock to expire, not for its own bound.
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(10_000);
  });

  it('a waiter parses on its own after its bounded wait when the holder keeps the lock, and leaves that lock alone', async () => {
    await put('sub-6', 'pdf', fixtures.pdfWithText('Brief: a stuck holder'));
    await redis.set(lockKey('sub-6', 'pdf'), 'a-stuck-process', 'PX', 60_000);
    const waiter = otherProcess({ ttlMs: 1000, pollMs: 50, waitMs: 1500 });
    const started = Date.now();
    expect(await waiter.of({ id: 'pdf', fileName: 'brief.pdf', contentType: 'application/pdf' }, 'sub-6')).toEqual({ text: 'Brief: a stuck holder' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(waiter.parses).toBe(1);
    expect(await redis.get(lockKey('sub-6', 'pdf'))).toBe('a-stuck-process');
  });

  it('without a lock option, waits twice AI_PARSE_TIMEOUT_MS plus the lock’s life at most', async () => {
    await put('sub-7', 'pdf', fixtures.pdfWithText('Brief: the default bound'));
    await redis.set(lockKey('sub-7', 'pdf'), 'a-stuck-process', 'PX', 60_000);
    const waiter = otherProcess(undefined, { AI_PARSE_TIMEOUT_MS: '500' });
    const started = Date.now();
    expect(await waiter.of({ id: 'pdf', fileName: 'brief.pdf', contentType: 'application/pdf' }, 'sub-7')).toEqual({ text: 'Brief: the default bound' });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(2 * 500 + 3000);
    expect(waited).toBeLessThan(2 * 500 + 3000 + 3000);
  }, 20_000);

  it('reads no more than AI_PDF_MAX_PAGES pages of a PDF, and keeps at most AI_ATTACHMENT_MAX_CHARS of any', async () => {
    await put('sub-8', 'pages', hostile.pdfManyPages(120));
    await put('sub-8', 'text', hostile.pdfHugeText());
    const reader8 = otherProcess(undefined, { AI_PDF_MAX_PAGES: '4', AI_ATTACHMENT_MAX_CHARS: '5000' });
    expect(await reader8.of({ id: 'pages', fileName: 'pages.pdf', contentType: 'application/pdf' }, 'sub-8')).toEqual({ text: 'Page 1 of 120. Page 2 of 120. Page 3 of 120. Page 4 of 120.' });
    const huge = await reader8.of({ id: 'text', fileName: 'huge-text.pdf', contentType: 'application/pdf' }, 'sub-8');
    expect('text' in huge && huge.text.length).toBe(5000);
  }, 20_000);

  it('records bombs and broken files as unreadable, in bounded time and memory, and goes on with the rest', async () => {
    await put('sub-2', 'bomb', hostile.docxBomb());
    await put('sub-2', 'liar', hostile.docxBombLyingSizes());
    await put('sub-2', 'pdfbomb', hostile.pdfHugeContentStream());
    await put('sub-2', 'broken', Buffer.from('%PDF-1.7\n garbage'));
    await put('sub-2', 'ok', fixtures.docx('A real brief about a data warehouse.'));
    const started = Date.now();
    const rssBefore = process.memoryUsage.rss();
    const { text, unreadable } = await reader.fullText({
      text: 'Message.',
      submissionId: 'sub-2',
      attachments: [
        { id: 'bomb', fileName: 'bomb.docx', contentType: DOCX },
        { id: 'liar', fileName: 'liar.docx', contentType: DOCX },
        { id: 'pdfbomb', fileName: 'huge.pdf', contentType: 'application/pdf' },
        { id: 'broken', fileName: 'broken.pdf', contentType: 'application/pdf' },
        { id: 'ok', fileName: 'brief.docx', contentType: DOCX },
      ],
    });
    expect(text).toContain('A real brief about a data warehouse.');
    const reasons = Object.fromEntries(unreadable.map((u) => [u.id, u.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['bomb', 'broken', 'liar', 'pdfbomb']);
    expect(reasons.bomb).toMatch(/compression ratio|expands to/);
    expect(reasons.liar).toMatch(/declared|inflate/);
    expect(Date.now() - started).toBeLessThan(3 * 3000 + 5000);
    expect(process.memoryUsage.rss() - rssBefore).toBeLessThan(400 * 1024 * 1024);
  });
});
