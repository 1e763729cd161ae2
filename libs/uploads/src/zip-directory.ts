/** Where a zip's bytes are read from: an open file (fs FileHandle) or a buffer (`bufferSource`). */
export interface ZipSource {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** A buffer as a ZipSource. */
export function bufferSource(content: Buffer): ZipSource {
  return {
    read: async (buffer, offset, length, position) => ({ bytesRead: content.copy(buffer, offset, position, Math.min(content.length, position + length)) }),
  };
}

/** One entry of a zip's central directory, as the archive declares it (nothing is inflated). */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflate; anything else is refused by whoever reads the entry. */
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  encrypted: boolean;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Sum of the entries' declared uncompressed sizes. */
  totalUncompressed: number;
}

/** Why a file is not a zip we are willing to read. */
export class ZipRefused extends Error {}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;

export interface ZipLimits {
  /** At most this many entries (an Office document has tens). */
  maxEntries?: number;
  /** At most this many bytes of central directory. */
  maxDirectoryBytes?: number;
}

/**
 * Reads a zip's central directory from its end, bounded: at most 64 KB for the end record,
 * at most `maxDirectoryBytes` of directory, `maxEntries` entries, and every entry's local
 * header must be where the directory says. Zip64, multi-disk and encrypted archives are refused.
 * Never inflates anything, so it costs the same whatever the archive would expand to.
 */
export async function readZipDirectory(handle: ZipSource, size: number, limits: ZipLimits = {}): Promise<ZipDirectory> {
  const maxEntries = limits.maxEntries ?? 2000;
  const maxDirectoryBytes = limits.maxDirectoryBytes ?? 1024 * 1024;
  if (size < EOCD_MIN) throw new ZipRefused('too short to be a zip');
  const tailLength = Math.min(size, EOCD_MIN + MAX_COMMENT);
  const tail = Buffer.alloc(tailLength);
  await handle.read(tail, 0, tailLength, size - tailLength);
  let eocd = -1;
  for (let i = tailLength - EOCD_MIN; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIGNATURE && i + EOCD_MIN + tail.readUInt16LE(i + 20) === tailLength) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipRefused('no end of central directory record');
  const disk = tail.readUInt16LE(eocd + 4);
  const directoryDisk = tail.readUInt16LE(eocd + 6);
  const entriesHere = tail.readUInt16LE(eocd + 8);
  const entryCount = tail.readUInt16LE(eocd + 10);
  const directorySize = tail.readUInt32LE(eocd + 12);
  const directoryOffset = tail.readUInt32LE(eocd + 16);
  if (disk !== 0 || directoryDisk !== 0 || entriesHere !== entryCount) throw new ZipRefused('multi-disk archive');
  if (entryCount === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) throw new ZipRefused('zip64 archive');
  if (entryCount > maxEntries) throw new ZipRefused(`more than ${maxEntries} entries`);
  if (directorySize > maxDirectoryBytes) throw new ZipRefused('central directory too large');
  const eocdPosition = size - tailLength + eocd;
  if (directoryOffset + directorySize > eocdPosition) throw new ZipRefused('central directory out of bounds');
  const directory = Buffer.alloc(directorySize);
  await handle.read(directory, 0, directorySize, directoryOffset);

  const entries: ZipEntry[] = [];
  let totalUncompressed = 0;
  let at = 0;
  for (let n = 0; n < entryCount; n++) {
    if (at + 46 > directory.length || directory.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new ZipRefused('malformed central directory');
    const flags = directory.readUInt16LE(at + 8);
    const method = directory.readUInt16LE(at + 10);
    const compressedSize = directory.readUInt32LE(at + 20);
    const uncompressedSize = directory.readUInt32LE(at + 24);
    const nameLength = directory.readUInt16LE(at + 28);
    const extraLength = directory.readUInt16LE(at + 30);
    const commentLength = directory.readUInt16LE(at + 32);
    const localHeaderOffset = directory.readUInt32LE(at + 42);
    if (at + 46 + nameLength > directory.length) throw new ZipRefused('malformed central directory');
    if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) throw new ZipRefused('zip64 entry');
    if (localHeaderOffset + 30 + compressedSize > directoryOffset) throw new ZipRefused('entry out of bounds');
    const name = directory.toString('utf8', at + 46, at + 46 + nameLength);
    entries.push({ name, method, compressedSize, uncompressedSize, localHeaderOffset, encrypted: (flags & 0x1) !== 0 });
    totalUncompressed += uncompressedSize;
    at += 46 + nameLength + extraLength + commentLength;
  }
  const local = Buffer.alloc(4);
  for (const entry of entries) {
    await handle.read(local, 0, 4, entry.localHeaderOffset);
    if (local.readUInt32LE(0) !== LOCAL_SIGNATURE) throw new ZipRefused(`entry "${entry.name}" has no local header`);
  }
  return { entries, totalUncompressed };
}

export interface InflateLimits {
  /** Largest declared uncompressed size of one entry. */
  maxEntryBytes: number;
  /** Largest sum of declared uncompressed sizes. */
  maxTotalBytes: number;
  /** Largest uncompressed / compressed ratio of one entry (a bomb is in the thousands). */
  maxRatio: number;
}

/**
 * Refuses an archive whose declared sizes or compression ratios are out of bounds, before
 * anything inflates it. The inflater must still cap its output (declared sizes can lie):
 * this check keeps an honest bomb from even starting.
 */
export function checkZipBounds(directory: ZipDirectory, limits: InflateLimits): void {
  if (directory.totalUncompressed > limits.maxTotalBytes) throw new ZipRefused(`expands to ${directory.totalUncompressed} bytes, more than ${limits.maxTotalBytes}`);
  for (const entry of directory.entries) {
    if (entry.encrypted) throw new ZipRefused(`entry "${entry.name}" is encrypted`);
    if (entry.method !== 0 && entry.method !== 8) throw new ZipRefused(`entry "${entry.name}" uses compression method ${entry.method}`);
    if (entry.uncompressedSize > limits.maxEntryBytes) throw new ZipRefused(`entry "${entry.name}" expands to ${entry.uncompressedSize} bytes`);
    const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
    if (ratio > limits.maxRatio && entry.uncompressedSize > 64 * 1024) throw new ZipRefused(`entry "${entry.name}" has a compression ratio of ${Math.round(ratio)}`);
    if (entry.method === 0 && entry.compressedSize !== entry.uncompressedSize) throw new ZipRefused(`stored entry "${entry.name}" has inconsistent sizes`);
  }
}
