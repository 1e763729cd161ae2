import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures } from '@statex/testing';
import { detectFileType, isAccepted } from './attachment-type';

const dir = mkdtempSync(join(tmpdir(), 'statex-type-'));
const fileOf = (name: string, content: Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe('detectFileType', () => {
  it.each([
    ['pdf', fixtures.pdf(), 'application/pdf'],
    ['png', fixtures.png(), 'image/png'],
    ['jpg', fixtures.jpeg(), 'image/jpeg'],
    ['docx', fixtures.docx(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['txt', fixtures.txt(), 'text/plain'],
  ])('recognises %s by its content', async (ext, content, mime) => {
    // A misleading name: the type comes from the bytes.
    const type = await detectFileType(fileOf(`misleading-${ext}.exe`, content));
    expect(type).toEqual({ ext, mime });
    expect(isAccepted(type!)).toBe(true);
  });

  it('refuses an executable named like a PDF', async () => {
    const type = await detectFileType(fileOf('invoice.pdf', fixtures.executable()));
    expect(type === undefined || !isAccepted(type)).toBe(true);
  });

  it('refuses binary data that is not UTF-8 text', async () => {
    const type = await detectFileType(fileOf('notes.txt', Buffer.from([0x13, 0x00, 0x01, 0x02, 0x03, 0x80, 0x81, 0x9c, 0x11, 0x00, 0x00, 0x05])));
    expect(type === undefined || !isAccepted(type)).toBe(true);
  });

  it('refuses a zip that is not a Word document', async () => {
    const type = await detectFileType(fileOf('doc.docx', Buffer.from('504b0304' + '00'.repeat(60), 'hex')));
    expect(type === undefined || !isAccepted(type)).toBe(true);
  });
});
