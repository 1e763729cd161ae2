import { promisify } from 'node:util';
import { crc32, inflateRaw } from 'node:zlib';
import { bufferSource, checkZipBounds, InflateLimits, readZipDirectory, ZipRefused } from '@statex/uploads';
import { Unreadable } from './parser-thread';

const inflate = promisify(inflateRaw) as (data: Buffer, options: { maxOutputLength: number }) => Promise<Buffer>;

/** The parts mammoth reads for raw text: XML and relationships, never media. */
const NEEDED = /^(\[Content_Types\]\.xml|_rels\/\.rels|word\/[^/]+\.xml|word\/_rels\/[^/]+\.rels)$/;

/**
 * A docx made safe for mammoth: its central directory read and checked (declared sizes and
 * compression ratios, before anything inflates), the XML parts inflated with the output capped
 * at what each declares (a lying entry fails at its declared size), and the result re-packed as
 * a stored (uncompressed) zip, so mammoth's own unzip has nothing left to inflate. Media are left
 * out: raw text does not read them. Inflation runs on libuv's thread pool, off the event loop.
 */
export async function safeDocx(content: Buffer, limits: InflateLimits): Promise<Buffer> {
  try {
    const directory = await readZipDirectory(bufferSource(content), content.length, { maxEntries: 2000 });
    const needed = directory.entries.filter((e) => NEEDED.test(e.name));
    if (!needed.some((e) => e.name === 'word/document.xml')) throw new ZipRefused('no word/document.xml');
    checkZipBounds({ entries: needed, totalUncompressed: needed.reduce((sum, e) => sum + e.uncompressedSize, 0) }, limits);
    const parts: { name: string; data: Buffer }[] = [];
    for (const entry of needed) {
      const at = entry.localHeaderOffset;
      if (content.readUInt32LE(at) !== 0x04034b50) throw new ZipRefused(`entry "${entry.name}" has no local header`);
      const start = at + 30 + content.readUInt16LE(at + 26) + content.readUInt16LE(at + 28);
      const raw = content.subarray(start, start + entry.compressedSize);
      if (raw.length !== entry.compressedSize) throw new ZipRefused(`entry "${entry.name}" is cut short`);
      let data: Buffer;
      try {
        data = entry.method === 0 ? raw : await inflate(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
      } catch (error) {
        throw new ZipRefused(`entry "${entry.name}" does not inflate to its declared ${entry.uncompressedSize} bytes (${(error as Error).message})`);
      }
      if (data.length !== entry.uncompressedSize) throw new ZipRefused(`entry "${entry.name}" inflates to ${data.length} bytes, not the ${entry.uncompressedSize} it declares`);
      parts.push({ name: entry.name, data });
    }
    return storedZip(parts);
  } catch (error) {
    if (error instanceof ZipRefused) throw new Unreadable(`not a readable Word document: ${error.message}`);
    throw error;
  }
}

/** A zip with every entry stored as is. */
function storedZip(parts: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of parts) {
    const fileName = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(fileName.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fileName, data);
    centrals.push(central, fileName);
    offset += 30 + fileName.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(parts.length, 8);
  end.writeUInt16LE(parts.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}
