import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LogItem, LogLevel, LogLine } from './log-line';

export interface LogQuery {
  service?: string[];
  level?: LogLevel[];
  correlationId?: string;
  from?: Date;
  to?: Date;
  q?: string;
  /** Lines older than this position (newest first). */
  after?: { time: Date; id: string };
  limit: number;
}

const DAY_MS = 86_400_000;

/** The UTC day a time falls in, as `YYYYMMDD`. */
export function dayOf(time: Date): string {
  return time.toISOString().slice(0, 10).replace(/-/g, '');
}

export function partitionName(day: string): string {
  return `log_lines_p${day}`;
}

function dayStart(day: string): Date {
  return new Date(`${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}T00:00:00.000Z`);
}

interface Row {
  id: string;
  time: Date;
  service: string;
  level: LogLevel;
  message: string;
  correlation_id: string | null;
  submission_id: string | null;
  context: string | null;
  fields: Record<string, unknown>;
}

export function toItem(row: Row): LogItem {
  return {
    id: row.id,
    time: row.time.toISOString(),
    service: row.service,
    level: row.level,
    message: row.message,
    correlationId: row.correlation_id,
    submissionId: row.submission_id,
    context: row.context,
    fields: row.fields,
  };
}

/** `log_lines` and its daily partitions, in SQL (a partitioned table is no TypeORM entity). */
@Injectable()
export class LogLinesRepository {
  private readonly known = new Set<string>();

  constructor(private readonly dataSource: DataSource) {}

  /** Creates the day's partition if missing (serialised: concurrent creators would collide). */
  async ensurePartition(day: string): Promise<void> {
    if (this.known.has(day)) return;
    const from = dayStart(day);
    const to = new Date(from.getTime() + DAY_MS);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('log_lines_partitions'))`);
      await manager.query(
        `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF log_lines FOR VALUES FROM ('${from.toISOString()}') TO ('${to.toISOString()}')`,
      );
    });
    this.known.add(day);
  }

  /** Partition days present, oldest first. */
  async partitions(): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.dataSource.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       WHERE p.relname = 'log_lines' ORDER BY c.relname`,
    );
    return rows.map((r) => /^log_lines_p(\d{8})$/.exec(r.name)?.[1]).filter((d): d is string => Boolean(d));
  }

  async dropPartition(day: string): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`SELECT pg_advisory_xact_lock(hashtext('log_lines_partitions'))`);
      await manager.query(`DROP TABLE IF EXISTS ${partitionName(day)}`);
    });
    this.known.delete(day);
  }

  /** One multi-row INSERT (arrays unnested), after making sure every day has its partition. */
  async insert(lines: LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    for (const day of new Set(lines.map((l) => dayOf(l.time)))) await this.ensurePartition(day);
    await this.dataSource.query(
      `INSERT INTO log_lines (time, service, level, message, correlation_id, submission_id, context, fields)
       SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[])`,
      [
        lines.map((l) => l.time.toISOString()),
        lines.map((l) => l.service),
        lines.map((l) => l.level),
        lines.map((l) => l.message),
        lines.map((l) => l.correlationId),
        lines.map((l) => l.submissionId),
        lines.map((l) => l.context),
        lines.map((l) => JSON.stringify(l.fields)),
      ],
    );
  }

  /** Newest first; `after` continues below the last line of the previous page. */
  async find(query: LogQuery): Promise<LogItem[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (value: unknown) => {
      params.push(value);
      return `$${params.length}`;
    };
    if (query.service?.length) where.push(`service = ANY(${param(query.service)}::text[])`);
    if (query.level?.length) where.push(`level = ANY(${param(query.level)}::text[])`);
    if (query.correlationId) where.push(`correlation_id = ${param(query.correlationId)}`);
    if (query.from) where.push(`time >= ${param(query.from.toISOString())}`);
    if (query.to) where.push(`time < ${param(query.to.toISOString())}`);
    if (query.q) where.push(`search @@ websearch_to_tsquery('simple', ${param(query.q)})`);
    if (query.after) where.push(`(time, id) < (${param(query.after.time.toISOString())}::timestamptz, ${param(query.after.id)}::bigint)`);
    const rows: Row[] = await this.dataSource.query(
      `SELECT id::text AS id, time, service, level, message, correlation_id, submission_id, context, fields FROM log_lines
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY time DESC, id DESC LIMIT ${param(query.limit)}`,
      params,
    );
    return rows.map(toItem);
  }

  /** Every line of one journey: its correlation id, or its submission id in a field. */
  async ofSubmission(submissionId: string, limit: number): Promise<LogItem[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT id::text AS id, time, service, level, message, correlation_id, submission_id, context, fields FROM log_lines
       WHERE correlation_id = $1 OR submission_id = $1 ORDER BY time, id LIMIT $2`,
      [submissionId, limit],
    );
    return rows.map(toItem);
  }
}
