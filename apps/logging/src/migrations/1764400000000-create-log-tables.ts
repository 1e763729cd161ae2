import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `log_lines` is partitioned by day (declarative range partitioning on `time`): the
 * partitions are created ahead and dropped after LOG_RETENTION_DAYS by LogPartitions.
 * Indexes on the parent are created on every partition. `domain_events` is the event log.
 */
export class CreateLogTables1764400000000 implements MigrationInterface {
  name = 'CreateLogTables1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE log_lines (
      id bigserial NOT NULL,
      time timestamptz NOT NULL,
      service text NOT NULL,
      level text NOT NULL,
      message text NOT NULL DEFAULT '',
      correlation_id text,
      submission_id text,
      context text,
      fields jsonb NOT NULL DEFAULT '{}',
      search tsvector GENERATED ALWAYS AS (to_tsvector('simple', message)) STORED,
      PRIMARY KEY (time, id)
    ) PARTITION BY RANGE (time)`);
    await q.query(`CREATE INDEX log_lines_service_time_idx ON log_lines (service, time DESC)`);
    await q.query(`CREATE INDEX log_lines_level_time_idx ON log_lines (level, time DESC)`);
    await q.query(`CREATE INDEX log_lines_correlation_idx ON log_lines (correlation_id, time) WHERE correlation_id IS NOT NULL`);
    await q.query(`CREATE INDEX log_lines_submission_idx ON log_lines (submission_id, time) WHERE submission_id IS NOT NULL`);
    await q.query(`CREATE INDEX log_lines_search_idx ON log_lines USING gin (search)`);

    await q.query(`CREATE TABLE domain_events (
      message_id text PRIMARY KEY,
      routing_key text NOT NULL,
      correlation_id text,
      submission_id text,
      source text,
      published_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      payload jsonb NOT NULL
    )`);
    await q.query(`CREATE INDEX domain_events_time_idx ON domain_events (published_at DESC, message_id DESC)`);
    await q.query(`CREATE INDEX domain_events_routing_key_idx ON domain_events (routing_key, published_at DESC)`);
    await q.query(`CREATE INDEX domain_events_correlation_idx ON domain_events (correlation_id, published_at) WHERE correlation_id IS NOT NULL`);
    await q.query(`CREATE INDEX domain_events_submission_idx ON domain_events (submission_id, published_at) WHERE submission_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE domain_events`);
    await q.query(`DROP TABLE log_lines`);
  }
}
