import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { EventPublisher } from '../event-publisher';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox.service';

export interface OutboxRelayOptions {
  pollIntervalMs: number;
  batchSize?: number;
}

interface PendingRow {
  id: string;
  routing_key: string;
  payload: unknown;
  correlation_id: string | null;
  created_at: Date;
}

/**
 * Publishes committed outbox rows. Polling with `FOR UPDATE SKIP LOCKED` is the source
 * of truth (several relays of one service never publish the same row at once);
 * LISTEN/NOTIFY only wakes the loop early. A row is marked sent after the broker
 * confirms it; if publishing fails the transaction rolls back and the row is retried,
 * so delivery is at-least-once and consumers deduplicate by message id.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private listener?: Client;
  private failures = 0;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    void this.listen();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /** Publishes one batch; returns how many rows it published. */
  async relayBatch(): Promise<number> {
    const batchSize = this.options.batchSize ?? 100;
    let claimed: string[] = [];
    try {
      return await this.dataSource.transaction(async (manager) => {
        const rows: PendingRow[] = await manager.query(
          `SELECT id, routing_key, payload, correlation_id, created_at FROM outbox_messages
           WHERE published_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
          [batchSize],
        );
        claimed = rows.map((row) => row.id);
        if (rows.length === 0) return 0;
        await Promise.all(
          rows.map((row) =>
            this.publisher.publish({
              routingKey: row.routing_key,
              payload: row.payload,
              messageId: row.id,
              correlationId: row.correlation_id ?? undefined,
              timestamp: row.created_at,
            }),
          ),
        );
        await manager.query(`UPDATE outbox_messages SET published_at = now() WHERE id = ANY($1)`, [claimed]);
        return rows.length;
      });
    } catch (error) {
      // The transaction has rolled back and released the rows: note why, for operators.
      if (claimed.length > 0) {
        const reason = error instanceof Error ? error.message : String(error);
        await this.dataSource
          .query(`UPDATE outbox_messages SET attempts = attempts + 1, last_error = $2 WHERE id = ANY($1) AND published_at IS NULL`, [claimed, reason])
          .catch(() => undefined);
      }
      throw error;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published = 0;
      try {
        published = await this.relayBatch();
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        if (this.failures === 1 || this.failures % 30 === 0) {
          this.logger.warn(`Outbox relay could not publish (attempt ${this.failures}): ${(error as Error).message}`);
        }
      }
      if (published > 0 && this.failures === 0) continue;
      const backoff = this.failures > 0 ? Math.min(this.options.pollIntervalMs * 2 ** Math.min(this.failures, 4), 10_000) : this.options.pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, backoff);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  private async listen(): Promise<void> {
    const o = this.dataSource.options as PostgresConnectionOptions;
    const client = new Client({ host: o.host, port: o.port, user: o.username, password: o.password as string | undefined, database: o.database });
    client.on('notification', () => {
      if (this.failures === 0) this.wake?.();
    });
    client.on('error', () => undefined);
    client.on('end', () => {
      if (this.running && this.listener === client) {
        this.listener = undefined;
        setTimeout(() => void this.listen(), 1000).unref();
      }
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_NOTIFY_CHANNEL}`);
      if (!this.running) {
        await client.end();
        return;
      }
      this.listener = client;
    } catch {
      // Polling still publishes everything; try listening again later.
      await client.end().catch(() => undefined);
      if (this.running) setTimeout(() => void this.listen(), 2000).unref();
    }
  }
}
