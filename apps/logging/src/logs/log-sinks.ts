import { Injectable, Logger } from '@nestjs/common';
import { Counter, register } from 'prom-client';
import { LoggingEnv } from '../logging.env';
import { LogLine } from './log-line';
import { LogLinesRepository } from './log-lines.repository';

function counter(name: string, help: string, labelNames: string[]): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames });
}

export const sinkFailures = counter('statex_log_sink_failures_total', 'Batches a log sink could not write', ['sink']);

/**
 * Elasticsearch through its bulk API (`POST /_bulk`, NDJSON): one daily index per day,
 * `statex-logs-YYYY.MM.DD`, matching deploy/elasticsearch/statex-logs.template.json.
 */
export class ElasticsearchBulkSink {
  constructor(
    private readonly url: string,
    private readonly timeoutMs = 5000,
  ) {}

  static indexOf(time: Date): string {
    return `statex-logs-${time.toISOString().slice(0, 10).replace(/-/g, '.')}`;
  }

  static body(lines: LogLine[]): string {
    return lines
      .map((l) => {
        const doc = {
          '@timestamp': l.time.toISOString(),
          service: l.service,
          level: l.level,
          message: l.message,
          correlationId: l.correlationId,
          submissionId: l.submissionId,
          context: l.context,
          fields: l.fields,
        };
        return `${JSON.stringify({ index: { _index: ElasticsearchBulkSink.indexOf(l.time) } })}\n${JSON.stringify(doc)}\n`;
      })
      .join('');
  }

  async write(lines: LogLine[]): Promise<void> {
    if (lines.length === 0) return;
    const res = await fetch(`${this.url.replace(/\/$/, '')}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: ElasticsearchBulkSink.body(lines),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!res.ok) throw new Error(`Elasticsearch _bulk answered ${res.status}`);
    const answer = (await res.json()) as { errors?: boolean; items?: Array<{ index?: { error?: { reason?: string } } }> };
    if (answer.errors) {
      const reason = answer.items?.find((i) => i.index?.error)?.index?.error?.reason ?? 'unknown';
      throw new Error(`Elasticsearch refused some lines: ${reason}`);
    }
  }
}

/**
 * Where ingested lines go: always PostgreSQL (what the API, the tail and the timeline read);
 * with LOG_SINK=elasticsearch also Elasticsearch, whose failure never loses the PostgreSQL copy.
 */
@Injectable()
export class LogSinks {
  private readonly logger = new Logger('LogSinks');
  private readonly elasticsearch?: ElasticsearchBulkSink;

  constructor(
    private readonly lines: LogLinesRepository,
    env: LoggingEnv,
  ) {
    if (env.LOG_SINK === 'elasticsearch') this.elasticsearch = new ElasticsearchBulkSink(env.ELASTICSEARCH_URL);
  }

  async write(batch: LogLine[]): Promise<void> {
    await this.lines.insert(batch);
    if (!this.elasticsearch) return;
    try {
      await this.elasticsearch.write(batch);
    } catch (error) {
      sinkFailures.inc({ sink: 'elasticsearch' });
      this.logger.warn(`Elasticsearch sink: ${(error as Error).message}`);
    }
  }
}
