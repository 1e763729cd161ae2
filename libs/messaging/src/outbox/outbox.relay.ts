import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { runPrepared } from '@statex/persistence';
import { DataSource } from 'typeorm';
import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { EventPublisher } from '../event-publisher';
import { outboxMetrics } from '../metrics';
import type { ReplayRequest } from '../replay';
import { withTraceHeaders } from '../trace-context';
import { topicMatches } from '../topology';
import { OUTBOX_NOTIFY_CHANNEL } from './outbox.service';

/** The relays running in this process, which the outbox gauges read at scrape time. */
export const relays = new Set<OutboxRelay>();

export interface OutboxRelayOptions {
  pollIntervalMs: number;
  batchSize?: number;
  /** Failed publishes (with the broker reachable) after which a row is set aside; default 20. */
  maxAttempts?: number;
  /** Published rows are deleted this long after publishing; default 72 h. */
  outboxRetentionMs?: number;
  /** Inbox rows are deleted this long after processing; default 14 days. */
  inboxRetentionMs?: number;
  /** How often rows past their retention are pruned; default 10 min. */
  pruneIntervalMs?: number;
}

const HOUR_MS = 3_600_000;
/**
 * How long a relay's claim on a batch lasts: far longer than a publish may take (the publisher's
 * confirm timeout is 5 s), so a live relay never loses its batch to another.
 */
export const OUTBOX_CLAIM_SECONDS = 60;

/** How long the relay waits after a notification before it wakes: events committed meanwhile join the batch. */
const WAKE_COALESCE_MS = 5;

interface PendingRow {
  id: string;
  routing_key: string;
  payload: unknown;
  correlation_id: string | null;
  created_at: Date;
  trace_context: Record<string, string> | null;
}

/**
 * Publishes committed outbox rows. Polling with `FOR UPDATE SKIP LOCKED` is the source
 * of truth (several relays of one service never publish the same row at once);
 * LISTEN/NOTIFY only wakes the loop early. Each row of a batch stands alone: a row is marked
 * sent as soon as the broker confirms it, whatever happens to the others, so a failing row
 * neither holds back nor re-sends its neighbours. A row that keeps failing while the broker is
 * reachable is set aside after `maxAttempts` (metric `statex_outbox_set_aside_total`, error
 * log); while the broker is unreachable no attempt is counted. Delivery is at-least-once and
 * consumers deduplicate by message id. Published outbox rows and processed inbox rows are
 * pruned after their retention.
 */
export class OutboxRelay {
  private readonly logger = new Logger(OutboxRelay.name);
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private listener?: Client;
  private failures = 0;
  private pruneTimer?: NodeJS.Timeout;
  /** A commit was announced (NOTIFY) since the current batch began: it may hold rows the batch missed. */
  private announced = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly publisher: EventPublisher,
    private readonly options: OutboxRelayOptions,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    relays.add(this);
    this.publisher.onReplayRequest((request) => {
      if (!this.running) return;
      void this.replay(request).catch((error: Error) => this.logger.error(`Replaying the outbox into ${request.queue} failed: ${error.message}`));
    });
    void this.listen();
    this.loop = this.run();
    this.pruneTimer = setInterval(() => void this.prune().catch((error: Error) => this.logger.warn(`Pruning old outbox and inbox rows failed: ${error.message}`)), this.options.pruneIntervalMs ?? 10 * 60_000);
    this.pruneTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    relays.delete(this);
    clearInterval(this.pruneTimer);
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /**
   * Publishes one batch, row by row; returns how many rows it published. Throws when rows
   * failed and none was published (the loop then backs off).
   *
   * Two statements, and no transaction held open while the broker confirms: the batch is claimed
   * (`claimed_until`, a lease that outlives the publish timeout several times over), published,
   * then marked published, or released with its failure counted. Another relay skips claimed rows
   * as it skipped locked ones; a relay that dies holding a claim leaves its rows to whichever relay
   * looks after the lease, to be published then (at least once, as before).
   */
  async relayBatch(): Promise<number> {
    const batchSize = this.options.batchSize ?? 100;
    const maxAttempts = this.options.maxAttempts ?? 20;
    // On the driver's pool as prepared statements (parsed and planned once per connection): each batch of
    // every service runs the claim and the mark, so TypeORM's query runner and a parse per batch were worth saving.
    const claimed = await runPrepared<PendingRow>(
      this.dataSource,
      'statex-outbox-claim',
      `UPDATE outbox_messages o SET claimed_until = now() + make_interval(secs => $2)
       FROM (SELECT id FROM outbox_messages
             WHERE published_at IS NULL AND set_aside_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
             ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED) batch
       WHERE o.id = batch.id
       RETURNING o.id, o.routing_key, o.payload, o.correlation_id, o.created_at, o.trace_context`,
      [batchSize, OUTBOX_CLAIM_SECONDS],
    );
    if (claimed.length === 0) return 0;
    // Published in the order they were written (RETURNING keeps no order).
    const rows = claimed.sort((x, y) => x.created_at.getTime() - y.created_at.getTime());
    const results = await Promise.allSettled(
      rows.map((row) =>
        // Published in the trace of the transaction that wrote it: the journey stays one trace.
        withTraceHeaders(row.trace_context, () =>
          this.publisher.publish({
            routingKey: row.routing_key,
            payload: row.payload,
            messageId: row.id,
            correlationId: row.correlation_id ?? undefined,
            timestamp: row.created_at,
          }),
        ),
      ),
    );
    const published = rows.filter((_, i) => results[i].status === 'fulfilled').map((row) => row.id);
    const failed = rows.flatMap((row, i) => {
      const result = results[i];
      return result.status === 'rejected' ? [{ id: row.id, reason: result.reason instanceof Error ? result.reason.message : String(result.reason) }] : [];
    });
    if (published.length > 0) await runPrepared(this.dataSource, 'statex-outbox-published', `UPDATE outbox_messages SET published_at = now(), claimed_until = NULL WHERE id = ANY($1::uuid[])`, [published]);
    if (failed.length > 0) {
      // An outage is not the row's fault: only failures with the broker reachable count.
      const counts = this.publisher.isConnected() ? 1 : 0;
      const released = await runPrepared<{ id: string; set_aside_at: Date | null }>(
        this.dataSource,
        'statex-outbox-failed',
        `UPDATE outbox_messages o SET attempts = o.attempts + $3, last_error = f.reason, claimed_until = NULL,
           set_aside_at = CASE WHEN $3 = 1 AND o.attempts + 1 >= $4 THEN now() ELSE NULL END
         FROM unnest($1::uuid[], $2::text[]) AS f(id, reason) WHERE o.id = f.id
         RETURNING o.id, o.set_aside_at`,
        [failed.map((f) => f.id), failed.map((f) => f.reason.slice(0, 1000)), counts, maxAttempts],
      );
      const setAside = released.filter((u) => u.set_aside_at !== null);
      for (const row of setAside) {
        outboxMetrics.setAside.inc();
        this.logger.error({ outboxId: row.id }, `Outbox row ${row.id} set aside after ${maxAttempts} failed publishes: ${failed.find((f) => f.id === row.id)?.reason}`);
      }
      if (published.length === 0) throw new Error(`${failed.length} outbox row(s) could not be published: ${failed[0].reason}`);
    }
    return published.length;
  }

  /**
   * Sends every published row still kept (OUTBOX_RETENTION_HOURS) whose routing key matches the
   * request's bindings straight to its queue, oldest first, with the original message id; returns
   * how many. Keyset-paged, so memory stays bounded whatever the outbox holds.
   */
  async replay(request: ReplayRequest): Promise<number> {
    let sent = 0;
    // The cursor keeps created_at as PostgreSQL's text (microseconds): a JS Date would cut it to ms and find the same row again.
    let after: { created_at_text: string; id: string } | undefined;
    for (;;) {
      const rows: Array<PendingRow & { created_at_text: string }> = await this.dataSource.query(
        `SELECT id, routing_key, payload, correlation_id, created_at, trace_context, created_at::text AS created_at_text FROM outbox_messages
         WHERE published_at IS NOT NULL AND ($1::timestamptz IS NULL OR (created_at, id) > ($1::timestamptz, $2::uuid))
         ORDER BY created_at, id LIMIT 500`,
        [after?.created_at_text ?? null, after?.id ?? null],
      );
      if (rows.length === 0) break;
      for (const row of rows) {
        if (!request.bindings.some((pattern) => topicMatches(pattern, row.routing_key))) continue;
        await withTraceHeaders(row.trace_context, () =>
          this.publisher.sendToQueue(request.queue, { routingKey: row.routing_key, payload: row.payload, messageId: row.id, correlationId: row.correlation_id ?? undefined, timestamp: row.created_at }),
        );
        sent += 1;
      }
      after = rows[rows.length - 1];
    }
    outboxMetrics.replayed.inc(sent);
    this.logger.warn(`Replayed ${sent} outbox event(s) into ${request.queue}: ${request.reason}`);
    return sent;
  }

  /** Deletes published outbox rows and processed inbox rows past their retention, in bounded batches. */
  async prune(): Promise<{ outbox: number; inbox: number }> {
    const outboxCutoff = new Date(Date.now() - (this.options.outboxRetentionMs ?? 72 * HOUR_MS));
    const inboxCutoff = new Date(Date.now() - (this.options.inboxRetentionMs ?? 14 * 24 * HOUR_MS));
    const count = (result: unknown) => (Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0);
    const outbox = count(
      await this.dataSource.query(`DELETE FROM outbox_messages WHERE id IN (SELECT id FROM outbox_messages WHERE published_at < $1 LIMIT 10000)`, [outboxCutoff]),
    );
    const inbox = count(
      await this.dataSource.query(
        `DELETE FROM inbox_messages WHERE (consumer, message_id) IN (SELECT consumer, message_id FROM inbox_messages WHERE processed_at < $1 LIMIT 10000)`,
        [inboxCutoff],
      ),
    );
    return { outbox, inbox };
  }

  /** Seconds since the oldest row waiting to be published was written, and rows set aside (for the metrics). */
  async backlog(): Promise<{ lagSeconds: number; setAside: number }> {
    const [row] = await this.dataSource.query(
      `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE set_aside_at IS NULL)), 0)::float AS lag,
              count(*) FILTER (WHERE set_aside_at IS NOT NULL)::int AS set_aside
       FROM outbox_messages WHERE published_at IS NULL`,
    );
    return { lagSeconds: Number(row.lag), setAside: Number(row.set_aside) };
  }

  private async run(): Promise<void> {
    while (this.running) {
      let published = 0;
      this.announced = false;
      try {
        published = await this.relayBatch();
        this.failures = 0;
      } catch (error) {
        this.failures += 1;
        if (this.failures === 1 || this.failures % 30 === 0) {
          this.logger.warn(`Outbox relay could not publish (attempt ${this.failures}): ${(error as Error).message}`);
        }
      }
      // A full batch may have left rows behind, and a commit announced during the batch may have
      // come after its SELECT: look again at once. Otherwise the outbox is known to be empty, and
      // looking again would be an empty transaction per event at low rates; the next NOTIFY (or
      // the poll, the safety net) wakes the loop.
      const batchSize = this.options.batchSize ?? 100;
      if (this.failures === 0 && (published >= batchSize || this.announced)) continue;
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
    // Woken a moment after the first notification, so a burst of commits is published as one batch
    // (one transaction) rather than one transaction per event.
    let waking = false;
    client.on('notification', () => {
      this.announced = true;
      if (this.failures !== 0 || waking) return;
      waking = true;
      setTimeout(() => {
        waking = false;
        this.wake?.();
      }, WAKE_COALESCE_MS).unref();
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
