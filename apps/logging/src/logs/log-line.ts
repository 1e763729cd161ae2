import { scrubText, scrubValue, storable } from './redaction';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
const PINO_LEVELS: Record<number, LogLevel> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** A line as stored: the labels we index, the message, and every other field as JSON. */
export interface LogLine {
  time: Date;
  service: string;
  level: LogLevel;
  message: string;
  correlationId: string | null;
  submissionId: string | null;
  context: string | null;
  fields: Record<string, unknown>;
}

/** A line as the API shows it. */
export interface LogItem {
  id: string;
  time: string;
  service: string;
  level: LogLevel;
  message: string;
  correlationId: string | null;
  submissionId: string | null;
  context: string | null;
  fields: Record<string, unknown>;
}

const MAX_MESSAGE = 16 * 1024;
const OWN_KEYS = new Set(['time', 'timestamp', 'service', 'level', 'message', 'msg', 'correlationId', 'submissionId', 'context', 'pid', 'hostname', 'v']);

function text(value: unknown, max: number): string | null {
  if (value === undefined || value === null || value === '') return null;
  const s = storable(typeof value === 'string' ? value : JSON.stringify(value));
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

function timeOf(value: unknown, now: Date): Date {
  const parsed = typeof value === 'number' ? new Date(value) : typeof value === 'string' ? new Date(value) : undefined;
  return parsed && !Number.isNaN(parsed.getTime()) ? parsed : now;
}

function levelOf(value: unknown): LogLevel {
  if (typeof value === 'number') return PINO_LEVELS[value] ?? (value >= 60 ? 'fatal' : 'info');
  if (typeof value === 'string') {
    const label = value.toLowerCase();
    if ((LOG_LEVELS as readonly string[]).includes(label)) return label as LogLevel;
    if (label === 'log' || label === 'verbose') return label === 'log' ? 'info' : 'debug';
  }
  return 'info';
}

/**
 * A pino (or any JSON) line in our shape: `message` or `msg`, level as label or pino number,
 * time as ISO text or epoch ms, and the secrets scrubbed. `fallbackService` names lines that
 * do not say which service wrote them.
 */
export function normalizeLine(raw: Record<string, unknown>, fallbackService: string, now = new Date()): LogLine {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (!OWN_KEYS.has(key)) fields[key] = value;
  const scrubbed = scrubValue(fields) as Record<string, unknown>;
  const req = raw.req as { id?: unknown } | undefined;
  return {
    time: timeOf(raw.time ?? raw.timestamp, now),
    service: text(raw.service, 100) ?? fallbackService,
    level: levelOf(raw.level),
    message: scrubText(text(raw.message ?? raw.msg, MAX_MESSAGE) ?? ''),
    correlationId: text(raw.correlationId ?? req?.id, 200),
    submissionId: text(raw.submissionId, 200),
    context: text(raw.context, 200),
    fields: scrubbed,
  };
}

/**
 * Parses an NDJSON body: every non-empty line must be a JSON object. `problem` names the first
 * that is not; with `skipInvalid` the rest are still read (shipped batches), and `skipped` counts them.
 */
export function parseNdjson(body: string, skipInvalid = false): { lines: Record<string, unknown>[]; problem?: string; skipped: number } {
  const lines: Record<string, unknown>[] = [];
  let problem: string | undefined;
  let skipped = 0;
  const rows = body.split('\n');
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i].trim();
    if (!row) continue;
    let value: unknown;
    try {
      value = JSON.parse(row);
    } catch {
      value = undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problem ??= `line ${i + 1} is not a JSON object`;
      skipped++;
      if (!skipInvalid) break;
      continue;
    }
    lines.push(value as Record<string, unknown>);
  }
  return { lines, problem, skipped };
}
