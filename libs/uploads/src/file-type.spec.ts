import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixtures } from '@statex/testing';
import { hostile } from '../../../test/fixtures/hostile/corpus';
import { detectFileType, FileTypeTimeout, isAccepted, looksLikeMarkup } from './file-type';

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

  it('refuses, quickly, the ASF that never resolves in file-type 16 (CVE-2026-31808)', async () => {
    const started = Date.now();
    expect(await detectFileType(fileOf('song.txt', hostile.asf()))).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it.each([
    ['svg', hostile.svg()],
    ['html after a BOM and whitespace', hostile.htmlWithBom()],
    ['xml', hostile.xml()],
    ['html with a pdf header later on', hostile.polyglotHtmlPdf()],
    ['text with binary after the first 64 KB', hostile.textThenBinary()],
    ['text cut in the middle of a character', hostile.textCutMidCharacter()],
    ['a zip with a broken central directory', hostile.brokenZip()],
    ['text with a NUL', Buffer.from('hello\u0000world')],
  ])('refuses %s', async (_, content) => {
    expect(await detectFileType(fileOf('x.txt', content))).toBeUndefined();
  });

  it('rejects with FileTypeTimeout when typing takes longer than its limit', async () => {
    // 8 MB of valid text must be read to its last byte: far longer than 1 ms.
    const path = fileOf('long.txt', Buffer.alloc(8 * 1024 * 1024, 'plain words '));
    await expect(detectFileType(path, { timeoutMs: 1 })).rejects.toBeInstanceOf(FileTypeTimeout);
    // The same file within a sane limit is text.
    expect(await detectFileType(path, { timeoutMs: 30_000 })).toEqual({ ext: 'txt', mime: 'text/plain' });
  });

  it('types a polyglot by its head only', async () => {
    expect(await detectFileType(fileOf('a.pdf', hostile.polyglotPdf()))).toEqual({ ext: 'pdf', mime: 'application/pdf' });
    expect(await detectFileType(fileOf('a.docx', hostile.jpegThenZip()))).toEqual({ ext: 'jpg', mime: 'image/jpeg' });
  });

  it('types a docx bomb as docx without inflating it (ai-worker checks its sizes before reading it)', async () => {
    const path = fileOf('bomb.docx', hostile.docxBomb());
    const started = Date.now();
    expect((await detectFileType(path))?.ext).toBe('docx');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('recognises only the types asked for', async () => {
    expect(await detectFileType(fileOf('a.pdf', fixtures.pdf()), { accept: ['png', 'jpg'] })).toBeUndefined();
    expect(await detectFileType(fileOf('a.png', fixtures.png()), { accept: ['png', 'jpg'] })).toEqual({ ext: 'png', mime: 'image/png' });
  });

  it('sniffs markup like the WHATWG rules, not text that merely contains a <', () => {
    expect(looksLikeMarkup(Buffer.from('  <!-- x -->'))).toBe(true);
    expect(looksLikeMarkup(Buffer.from('<P>para'))).toBe(true);
    expect(looksLikeMarkup(Buffer.from('<3 thanks, see <b> below'))).toBe(false);
    expect(looksLikeMarkup(Buffer.from('Price < 100 EUR <html>'))).toBe(false);
  });
});
