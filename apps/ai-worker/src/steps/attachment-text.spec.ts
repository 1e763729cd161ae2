import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachmentStorageKey, LocalStorageDriver } from '@statex/storage';
import { fixtures } from '@statex/testing';
import { AttachmentText } from './attachment-text';

describe('attachment text', () => {
  const storage = new LocalStorageDriver(mkdtempSync(join(tmpdir(), 'statex-text-')));
  const reader = new AttachmentText(storage);
  const put = async (id: string, content: Buffer) => {
    const source = join(mkdtempSync(join(tmpdir(), 'statex-src-')), id);
    writeFileSync(source, content);
    await storage.putFile(attachmentStorageKey('sub-1', id), source);
  };

  beforeAll(async () => {
    await storage.init();
    await put('txt', fixtures.txt('Notes: we also need a loyalty programme.'));
    await put('pdf', fixtures.pdfWithText('Brief: an online shop with card payments'));
    await put('docx', fixtures.docx('Specification: iOS and Android app with push notifications'));
    await put('png', fixtures.png());
  });

  it('reads the text of txt, pdf and docx files and skips images', async () => {
    const text = await reader.fullText({
      text: 'See the attached files.',
      submissionId: 'sub-1',
      attachments: [
        { id: 'txt', fileName: 'notes.txt', contentType: 'text/plain' },
        { id: 'pdf', fileName: 'brief.pdf', contentType: 'application/pdf' },
        { id: 'docx', fileName: 'spec.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
        { id: 'png', fileName: 'logo.png', contentType: 'image/png' },
        { id: 'missing', fileName: 'gone.txt', contentType: 'text/plain' },
      ],
    });
    expect(text).toContain('See the attached files.');
    expect(text).toContain('loyalty programme');
    expect(text).toContain('Brief: an online shop with card payments');
    expect(text).toContain('Specification: iOS and Android app with push notifications');
  });
});
