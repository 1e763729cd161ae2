import { Injectable, Logger } from '@nestjs/common';
import { dirname, join } from 'node:path';
import mammoth from 'mammoth';
import { attachmentStorageKey, StorageDriver } from '@statex/storage';
import type { StepJobData } from '@statex/contracts';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const MAX_CHARS_PER_FILE = 20_000;

interface PdfJs {
  getDocument(source: Record<string, unknown>): {
    promise: Promise<{ numPages: number; getPage(n: number): Promise<{ getTextContent(): Promise<{ items: { str?: string }[] }> }>; destroy(): Promise<void> }>;
  };
}
let pdfjs: PdfJs | undefined;
const STANDARD_FONTS = join(dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/';

/** The text of the first 50 pages, with Mozilla's pdf.js (its legacy build is the CommonJS one that runs on Node 20). */
async function pdfText(content: Buffer): Promise<string> {
  // Loaded on first use: it warns at load time about canvas, which text extraction does not need.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  pdfjs ??= require('pdfjs-dist/legacy/build/pdf.js') as PdfJs;
  const doc = await pdfjs.getDocument({ data: new Uint8Array(content), isEvalSupported: false, useSystemFonts: false, verbosity: 0, standardFontDataUrl: STANDARD_FONTS }).promise;
  try {
    const pages: string[] = [];
    for (let n = 1; n <= Math.min(doc.numPages, 50); n++) {
      const page = await doc.getPage(n);
      pages.push((await page.getTextContent()).items.map((item) => item.str ?? '').join(' '));
    }
    return pages.join('\n');
  } finally {
    await doc.destroy();
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/**
 * The text of a submission's txt, pdf and docx attachments, read from attachment storage
 * (the same STORAGE_* settings as the submission service). Images carry no text here.
 */
@Injectable()
export class AttachmentText {
  private readonly logger = new Logger(AttachmentText.name);
  private readonly cache = new Map<string, string>();

  constructor(private readonly storage: StorageDriver) {}

  async of(file: { id: string; fileName: string; contentType: string }, submissionId: string): Promise<string> {
    const key = attachmentStorageKey(submissionId, file.id);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let text = '';
    if (['text/plain', 'application/pdf', DOCX].includes(file.contentType)) {
      const content = await readAll(await this.storage.get(key));
      if (file.contentType === 'text/plain') text = content.toString('utf8');
      else if (file.contentType === 'application/pdf') text = await pdfText(content);
      else text = (await mammoth.extractRawText({ buffer: content })).value;
    }
    text = text.replace(/\s+/g, ' ').trim().slice(0, MAX_CHARS_PER_FILE);
    if (this.cache.size > 200) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, text);
    return text;
  }

  /** The message followed by the text of each readable attachment. */
  async fullText(job: Pick<StepJobData, 'text' | 'submissionId' | 'attachments'>): Promise<string> {
    const parts = [job.text];
    for (const file of job.attachments ?? []) {
      try {
        const text = await this.of(file, job.submissionId);
        if (text) parts.push(text);
      } catch (error) {
        // A missing or unreadable file must not sink the analysis of the message itself.
        this.logger.warn(`Could not read attachment ${file.fileName} of ${job.submissionId}: ${(error as Error).message}`);
      }
    }
    return parts.join('\n\n');
  }
}
