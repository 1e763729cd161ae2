import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export type ParsedKind = 'pdf' | 'docx';

export interface ParseLimits {
  /** The worker is terminated after this long (its own clock, not the event loop's). */
  timeoutMs: number;
  /** V8 heap of the parsing thread. */
  maxHeapMb: number;
  /** The whole process's resident memory while a parse runs; past it the parse is terminated. */
  maxRssMb: number;
  /** Text kept, and the point where a PDF's extraction stops. */
  maxChars: number;
  /** Pages of a PDF read at most. */
  maxPages: number;
}

/** Why a file could not be read: a parser error, a limit it hit, or a refusal before parsing. */
export class Unreadable extends Error {}

/** Where the thread loads its parsers from (file paths or URLs). */
export interface ParserModules {
  mammoth: string;
  pdfjs: string;
  standardFonts: string;
}

/** What a parsing thread runs: its script and the modules the script loads. Tests substitute either to watch the limits and the options. */
export interface ParserProgram {
  script: string;
  modules: ParserModules;
}

const PDFJS = require.resolve('pdfjs-dist/legacy/build/pdf.mjs');
const MODULES: ParserModules = {
  mammoth: require.resolve('mammoth'),
  pdfjs: pathToFileURL(PDFJS).href,
  standardFonts: join(dirname(require.resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/',
};

/**
 * The parsing thread, in plain JavaScript so it runs the same from dist/ and under Jest. It gets
 * the file's bytes (transferred, not copied) and the budgets, and posts back `{ text }` or `{ error }`.
 *  - docx: mammoth's raw text, from an archive the parent has already checked and re-packed
 *    without compression (docx-guard.ts), so nothing here inflates.
 *  - pdf: Mozilla's pdf.js (pdfjs-dist 5, ESM: loaded with import(), which a worker thread can do
 *    whatever the app's module system), with `isEvalSupported: false` (no font code compiled from
 *    the file), no system fonts, page by page, each page's text streamed; as soon as the character
 *    budget is spent the thread answers, and the parent ends it with pdf.js inside. (Cancelling the
 *    stream or destroying the document instead raced pdf.js's own enqueueing: "Controller is
 *    already closed", thrown uncaught, turned about one budgeted parse in ten into a failure.)
 * The thread answers once: whatever is thrown or rejected unhandled before the answer is the
 * parse's error, and nothing after it counts.
 */
const SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
const { kind, data, limits, modules } = workerData;
let answered = false;
function answer(message) {
  if (answered) return;
  answered = true;
  parentPort.postMessage(message);
}
const failed = (error) => answer({ error: String((error && error.message) || error) });
process.on('uncaughtException', failed);
process.on('unhandledRejection', failed);
async function pdfText(bytes) {
  const pdfjs = await import(modules.pdfjs);
  const task = pdfjs.getDocument({ data: bytes, isEvalSupported: false, useSystemFonts: false, disableFontFace: true, verbosity: 0, standardFontDataUrl: modules.standardFonts, stopAtErrors: false });
  const doc = await task.promise;
  let text = '';
  const pages = Math.min(doc.numPages, limits.maxPages);
  for (let n = 1; n <= pages; n++) {
    const page = await doc.getPage(n);
    const reader = page.streamTextContent().getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const item of value.items) if (item.str) text += item.str + (item.hasEOL ? '\\n' : ' ');
      // Budget spent: answer now, without reading on; the parent terminates the thread.
      if (text.length >= limits.maxChars) return text;
    }
    text += '\\n';
    page.cleanup();
  }
  return text;
}
async function docxText(bytes) {
  const mammoth = require(modules.mammoth);
  return (await mammoth.extractRawText({ buffer: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) })).value;
}
(kind === 'pdf' ? pdfText(data) : docxText(data)).then((text) => answer({ text: text.slice(0, limits.maxChars) }), failed);
`;

/** The parsers as production runs them. */
export const PARSER: Readonly<ParserProgram> = Object.freeze({ script: SCRIPT, modules: Object.freeze({ ...MODULES }) });

/** Runs one parse at a time per process, so the memory watch measures that parse alone. */
let queue: Promise<unknown> = Promise.resolve();

/**
 * The text of a pdf or docx, parsed in a worker thread with a heap limit, a kill timer and a
 * watch on the process's memory: a parser bomb ends its own thread (as Unreadable), never the
 * service, and the event loop stays free meanwhile.
 */
export function parseInThread(kind: ParsedKind, content: Buffer, limits: ParseLimits, program: ParserProgram = PARSER): Promise<string> {
  const run = queue.then(() => parse(kind, content, limits, program));
  queue = run.catch(() => undefined);
  return run;
}

function parse(kind: ParsedKind, content: Buffer, limits: ParseLimits, program: ParserProgram): Promise<string> {
  // A copy the thread owns, transferred rather than cloned.
  const data = new Uint8Array(content.length);
  data.set(content);
  return new Promise<string>((resolve, reject) => {
    const worker = new Worker(program.script, {
      eval: true,
      workerData: { kind, data, limits: { maxChars: limits.maxChars, maxPages: limits.maxPages }, modules: program.modules },
      transferList: [data.buffer],
      resourceLimits: { maxOldGenerationSizeMb: limits.maxHeapMb, maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.round(limits.maxHeapMb / 8))), stackSizeMb: 4 },
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const finish = (error: Error | undefined, text?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watch);
      void worker.terminate();
      if (error) reject(error);
      else resolve(text ?? '');
    };
    const timer = setTimeout(() => finish(new Unreadable(`parsing took longer than ${limits.timeoutMs} ms`)), limits.timeoutMs);
    // What the parse adds to the process (parses run one at a time), not the process's own size.
    const baselineMb = process.memoryUsage.rss() / (1024 * 1024);
    const watch = setInterval(() => {
      const grownMb = process.memoryUsage.rss() / (1024 * 1024) - baselineMb;
      if (grownMb > limits.maxRssMb) finish(new Unreadable(`parsing grew the process by more than ${limits.maxRssMb} MB`));
    }, 50);
    // The parser's own chatter (pdf.js warnings) is not ours to log.
    worker.stdout.resume();
    worker.stderr.resume();
    worker.on('message', (message: { text?: string; error?: string }) => finish(message.error !== undefined ? new Unreadable(message.error) : undefined, message.text));
    worker.on('error', (error: Error & { code?: string }) =>
      finish(new Unreadable(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `parsing needed more than ${limits.maxHeapMb} MB of heap` : error.message)),
    );
    worker.on('exit', (code) => finish(new Unreadable(`the parser exited (${code}) without an answer`)));
  });
}
