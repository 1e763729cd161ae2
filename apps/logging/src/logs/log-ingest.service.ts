import { Injectable } from '@nestjs/common';
import { Counter, register } from 'prom-client';
import { LoggingEnv } from '../logging.env';
import { LogItem, LogLine, normalizeLine } from './log-line';
import { LogSinks } from './log-sinks';
import { LogTail } from './log-tail';

const DAY_MS = 86_400_000;

const ingested =
  (register.getSingleMetric('statex_log_lines_ingested_total') as Counter<string> | undefined) ??
  new Counter({ name: 'statex_log_lines_ingested_total', help: 'Log lines stored, by how they arrived (broker or http)', labelNames: ['via'] });
const discarded =
  (register.getSingleMetric('statex_log_lines_discarded_total') as Counter<string> | undefined) ??
  new Counter({ name: 'statex_log_lines_discarded_total', help: 'Log lines not stored, by reason', labelNames: ['reason'] });

export type IngestVia = 'broker' | 'http';

/** Normalises, scrubs and stores batches of lines, and feeds the live tail. */
@Injectable()
export class LogIngestService {
  constructor(
    private readonly sinks: LogSinks,
    private readonly tail: LogTail,
    private readonly env: LoggingEnv,
  ) {}

  async ingest(raw: Record<string, unknown>[], via: IngestVia, fallbackService = 'unknown'): Promise<{ stored: number; discarded: number }> {
    const now = new Date();
    const oldest = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - this.env.LOG_RETENTION_DAYS * DAY_MS;
    const newest = now.getTime() + this.env.LOG_PARTITIONS_AHEAD_DAYS * DAY_MS;
    const lines: LogLine[] = [];
    let tooOld = 0;
    for (const entry of raw) {
      const line = normalizeLine(entry, fallbackService, now);
      if (line.time.getTime() < oldest) {
        tooOld++;
        continue;
      }
      // A clock far ahead would create partitions for nothing: such a line is filed now, its own time kept.
      if (line.time.getTime() > newest) {
        line.fields = { ...line.fields, claimedTime: line.time.toISOString() };
        line.time = now;
      }
      lines.push(line);
    }
    if (tooOld) discarded.inc({ reason: 'older_than_retention' }, tooOld);
    await this.sinks.write(lines);
    ingested.inc({ via }, lines.length);
    this.tail.publish(
      lines.map((line): LogItem => ({
        id: '',
        time: line.time.toISOString(),
        service: line.service,
        level: line.level,
        message: line.message,
        correlationId: line.correlationId,
        submissionId: line.submissionId,
        context: line.context,
        fields: line.fields,
      })),
    );
    return { stored: lines.length, discarded: tooOld };
  }
}
