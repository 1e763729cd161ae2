import { open, type FileHandle } from 'node:fs/promises';
import { readZipDirectory, ZipRefused } from './zip-directory';

/** The attachment types StateX accepts, keyed by what their content says they are. */
export const ACCEPTED_TYPES = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  txt: 'text/plain',
} as const;

export type AcceptedExt = keyof typeof ACCEPTED_TYPES;

export interface DetectedType {
  ext: AcceptedExt;
  mime: string;
}

/** A file is of none of the accepted types; `reason` says what it looked like. */
export class FileTypeRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Typing took longer than its hard limit. */
export class FileTypeTimeout extends Error {}

export interface DetectOptions {
  /** Hard limit for typing one file; a file that cannot be typed in time is refused. */
  timeoutMs?: number;
  /** Only these types are recognised (default: all of ACCEPTED_TYPES). */
  accept?: readonly AcceptedExt[];
}

const CHUNK = 64 * 1024;

/**
 * Decides a file's type from its bytes, never from its name or declared Content-Type: an
 * allow-list sniffer that looks only for what StateX accepts, reading a bounded amount.
 *  - pdf: `%PDF-1.x` or `%PDF-2.x` at byte 0 (not "somewhere in the first KB", which readers tolerate
 *    and polyglots abuse);
 *  - png: the 8-byte signature followed by an IHDR chunk;
 *  - jpeg: SOI followed by a marker;
 *  - docx: a zip whose central directory (read from the end, bounded, nothing inflated) lists
 *    `[Content_Types].xml` and `word/document.xml`, each with a local header where it says;
 *  - txt: valid UTF-8 from the first byte to the last, no control characters other than tab,
 *    newlines and form feed, and not starting like markup a browser would render (HTML, SVG, XML).
 * Resolves undefined for anything else; rejects with FileTypeTimeout past `timeoutMs`.
 */
export async function detectFileType(path: string, options: DetectOptions = {}): Promise<DetectedType | undefined> {
  const accept = new Set<AcceptedExt>(options.accept ?? (Object.keys(ACCEPTED_TYPES) as AcceptedExt[]));
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  const handle = await open(path, 'r');
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new FileTypeTimeout(`typing took longer than ${options.timeoutMs ?? 5000} ms`)), Math.max(0, deadline - Date.now()));
    });
    const ext = await Promise.race([sniff(handle, accept, deadline), timeout]);
    return ext ? { ext, mime: ACCEPTED_TYPES[ext] } : undefined;
  } finally {
    if (timer) clearTimeout(timer);
    await handle.close();
  }
}

export function isAccepted(type: { ext: string } | undefined): type is DetectedType {
  return type !== undefined && type.ext in ACCEPTED_TYPES;
}

async function sniff(handle: FileHandle, accept: Set<AcceptedExt>, deadline: number): Promise<AcceptedExt | undefined> {
  const { size } = await handle.stat();
  if (size === 0) return undefined;
  const head = Buffer.alloc(Math.min(size, 512));
  await handle.read(head, 0, head.length, 0);
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d]) && /^%PDF-[12]\.\d/.test(head.toString('latin1', 0, 8))) return accept.has('pdf') ? 'pdf' : undefined;
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) {
    return accept.has('png') && head.length >= 16 && head.toString('latin1', 12, 16) === 'IHDR' ? 'png' : undefined;
  }
  if (startsWith(head, [0xff, 0xd8, 0xff])) return accept.has('jpg') && head.length > 3 && head[3] >= 0xc0 && head[3] !== 0xff ? 'jpg' : undefined;
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return accept.has('docx') && (await isWordDocument(handle, size)) ? 'docx' : undefined;
  if (accept.has('txt') && (await isPlainText(handle, size, head, deadline))) return 'txt';
  return undefined;
}

function startsWith(buffer: Buffer, bytes: number[]): boolean {
  return buffer.length >= bytes.length && bytes.every((b, i) => buffer[i] === b);
}

async function isWordDocument(handle: FileHandle, size: number): Promise<boolean> {
  try {
    const { entries } = await readZipDirectory(handle, size, { maxEntries: 2000 });
    const names = new Set(entries.map((e) => e.name));
    return names.has('[Content_Types].xml') && names.has('word/document.xml');
  } catch (error) {
    if (error instanceof ZipRefused) return false;
    throw error;
  }
}

/** Controls other than tab (09), line feed (0a), form feed (0c) and carriage return (0d); DEL. */
function hasControlByte(chunk: Buffer): boolean {
  for (let i = 0; i < chunk.length; i++) {
    const b = chunk[i];
    if ((b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) || b === 0x7f) return true;
  }
  return false;
}

/**
 * The WHATWG MIME sniffing standard's HTML patterns ("rules for identifying an unknown MIME type"),
 * plus SVG and any XML prologue or comment: after optional BOM and whitespace, a `<` followed by
 * one of these names and a tag-terminating byte (space or `>`), or `<?xml`, `<!--`, `<!doctype`.
 */
const MARKUP_NAMES = ['html', 'head', 'script', 'iframe', 'h1', 'div', 'font', 'table', 'a', 'style', 'title', 'b', 'body', 'br', 'p', 'svg', 'xml', 'math', 'object', 'embed', 'img', 'meta', 'link', 'form'];

export function looksLikeMarkup(head: Buffer): boolean {
  let text = head.toString('latin1');
  if (text.startsWith('\xef\xbb\xbf')) text = text.slice(3);
  text = text.replace(/^[\t\n\f\r ]+/, '').toLowerCase();
  if (!text.startsWith('<')) return false;
  if (text.startsWith('<?xml') || text.startsWith('<!--') || text.startsWith('<!doctype')) return true;
  const match = /^<([a-z][a-z0-9]{0,9})([\t\n\f\r />]|$)/.exec(text);
  return match !== null && MARKUP_NAMES.includes(match[1]);
}

async function isPlainText(handle: FileHandle, size: number, head: Buffer, deadline: number): Promise<boolean> {
  if (looksLikeMarkup(head)) return false;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const chunk = Buffer.alloc(CHUNK);
  for (let position = 0; position < size; position += CHUNK) {
    if (Date.now() > deadline) throw new FileTypeTimeout('typing took too long');
    const { bytesRead } = await handle.read(chunk, 0, CHUNK, position);
    if (bytesRead === 0) break;
    const bytes = chunk.subarray(0, bytesRead);
    if (hasControlByte(bytes)) return false;
    try {
      decoder.decode(bytes, { stream: true });
    } catch {
      return false;
    }
  }
  try {
    // Flush: a multi-byte character cut at the end of the file is not valid UTF-8.
    decoder.decode();
  } catch {
    return false;
  }
  return true;
}
