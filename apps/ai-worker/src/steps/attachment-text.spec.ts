import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { loadEnv } from '@statex/config';
import { attachmentStorageKey, LocalStorageDriver } from '@statex/storage';
import { fixtures } from '@statex/testing';
import { hostile } from '../../../../test/fixtures/hostile/corpus';
import { AiWorkerEnv } from '../ai-worker.env';
import { AttachmentText } from './attachment-text';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

describe('attachment text', () => {
  const storage = new LocalStorageDriver(mkdtempSync(join(tmpdir(), 'statex-text-')));
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
  afterAll(async () => {
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
