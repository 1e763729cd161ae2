import { MigrationInterface, QueryRunner } from 'typeorm';

/** Outbox and inbox tables; every service with a database includes this migration. */
export class CreateMessagingTables1764115200000 implements MigrationInterface {
  name = 'CreateMessagingTables1764115200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS outbox_messages (
      id uuid PRIMARY KEY,
      routing_key text NOT NULL,
      payload jsonb NOT NULL,
      correlation_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      published_at timestamptz,
      attempts int NOT NULL DEFAULT 0,
      last_error text)`);
    await q.query(`CREATE INDEX IF NOT EXISTS outbox_messages_pending_idx ON outbox_messages (created_at) WHERE published_at IS NULL`);
    await q.query(`CREATE TABLE IF NOT EXISTS inbox_messages (
      consumer text NOT NULL,
      message_id text NOT NULL,
      routing_key text NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (consumer, message_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS inbox_messages');
    await q.query('DROP TABLE IF EXISTS outbox_messages');
  }
}

/** The trace context of the transaction that wrote an outbox row, so its event continues the trace. */
export class OutboxTraceContext1765000000000 implements MigrationInterface {
  name = 'OutboxTraceContext1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_messages ADD COLUMN IF NOT EXISTS trace_context jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_messages DROP COLUMN IF EXISTS trace_context`);
  }
}

/** Outbox rows that kept failing are set aside rather than retried ahead of the rest forever. */
export class OutboxSetAside1764300000000 implements MigrationInterface {
  name = 'OutboxSetAside1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_messages ADD COLUMN IF NOT EXISTS set_aside_at timestamptz`);
    await q.query(`DROP INDEX IF EXISTS outbox_messages_pending_idx`);
    await q.query(`CREATE INDEX IF NOT EXISTS outbox_messages_pending_idx ON outbox_messages (created_at) WHERE published_at IS NULL AND set_aside_at IS NULL`);
    await q.query(`CREATE INDEX IF NOT EXISTS outbox_messages_published_idx ON outbox_messages (published_at) WHERE published_at IS NOT NULL`);
    await q.query(`CREATE INDEX IF NOT EXISTS inbox_messages_processed_idx ON inbox_messages (processed_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS inbox_messages_processed_idx`);
    await q.query(`DROP INDEX IF EXISTS outbox_messages_published_idx`);
    await q.query(`ALTER TABLE outbox_messages DROP COLUMN IF EXISTS set_aside_at`);
  }
}

/**
 * A relay claims a batch for a while (`claimed_until`) instead of holding its rows locked in a
 * transaction while the broker confirms: two statements a batch instead of four.
 */
export class OutboxClaims1765900000000 implements MigrationInterface {
  name = 'OutboxClaims1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_messages ADD COLUMN IF NOT EXISTS claimed_until timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE outbox_messages DROP COLUMN IF EXISTS claimed_until`);
  }
}
