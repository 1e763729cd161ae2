import mammoth from 'mammoth';
import { fixtures } from '@statex/testing';
import { hostile, zipOf } from '../../../../../test/fixtures/hostile/corpus';
import { safeDocx } from './docx-guard';

const limits = { maxEntryBytes: 50 * 1024 * 1024, maxTotalBytes: 50 * 1024 * 1024, maxRatio: 100 };

describe('safeDocx', () => {
  it('re-packs a Word document without compression, and mammoth reads the same text from it', async () => {
    const safe = await safeDocx(fixtures.docx('A brief about a mobile app.'), limits);
    expect((await mammoth.extractRawText({ buffer: safe })).value.trim()).toBe('A brief about a mobile app.');
  });

  it('refuses, before inflating, a part whose compression ratio is a bomb’s', async () => {
    const bomb = zipOf([
      { name: '[Content_Types].xml', data: Buffer.from('<Types/>') },
      { name: 'word/document.xml', data: Buffer.alloc(10 * 1024 * 1024, 0x61) },
    ]);
    await expect(safeDocx(bomb, limits)).rejects.toThrow(/compression ratio of \d+/);
  });

  it('refuses parts that declare more than the budget, and parts that inflate past what they declare', async () => {
    await expect(safeDocx(hostile.docxBomb(), limits)).rejects.toThrow(/expands to \d+ bytes, more than 52428800/);
    await expect(safeDocx(hostile.docxBombLyingSizes(), limits)).rejects.toThrow(/does not inflate to its declared 2048 bytes/);
  });

  it('refuses an archive without a Word document, and one that is not a zip', async () => {
    await expect(safeDocx(zipOf([{ name: 'a.txt', data: Buffer.from('x') }]), limits)).rejects.toThrow(/no word\/document.xml/);
    await expect(safeDocx(hostile.brokenZip(), limits)).rejects.toThrow(/not a readable Word document/);
  });
});
