import { open } from 'node:fs/promises';
import FileType from 'file-type';

/** The attachment types StateX accepts, keyed by what their content says they are. */
export const ACCEPTED_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  txt: 'text/plain',
};

export interface DetectedType {
  ext: string;
  mime: string;
}

const TEXT_SAMPLE_BYTES = 64 * 1024;

/** UTF-8 text with no control characters other than tab, newlines and form feed. */
function looksLikeText(sample: Buffer): boolean {
  if (sample.length === 0) return false;
  let text: string;
  try {
    // A multi-byte character may be cut at the end of the sample: decode leniently there.
    text = new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, Math.max(0, sample.length - 4)));
  } catch {
    return false;
  }
  return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text);
}

/**
 * Decides a file's type from its bytes (magic numbers; for docx the zip's entries),
 * never from its name or declared Content-Type. Returns undefined for anything else.
 */
export async function detectFileType(path: string): Promise<DetectedType | undefined> {
  const detected = await FileType.fromFile(path);
  if (detected) {
    return ACCEPTED_TYPES[detected.ext] ? { ext: detected.ext, mime: ACCEPTED_TYPES[detected.ext] } : { ext: detected.ext, mime: detected.mime };
  }
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(TEXT_SAMPLE_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, TEXT_SAMPLE_BYTES, 0);
    return looksLikeText(buffer.subarray(0, bytesRead)) ? { ext: 'txt', mime: ACCEPTED_TYPES.txt } : undefined;
  } finally {
    await handle.close();
  }
}

export function isAccepted(type: DetectedType): boolean {
  return type.ext in ACCEPTED_TYPES;
}
