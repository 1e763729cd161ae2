import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ContactChannel } from '@statex/contracts';
import { type EventContext, inboxInsertCte, outboxInsertCtes, type OutboxRow } from '@statex/messaging';
import { parameters, returnedRows, runPrepared } from '@statex/persistence';
import { ERASED, LeadContact, Notification, NotificationAttempt, NotificationStatus } from './entities';

export type NewNotification = Pick<Notification, 'dedupeKey' | 'correlationId' | 'template' | 'locale' | 'data' | 'route' | 'status' | 'manualText'>;

export interface NotificationFilter {
  status?: NotificationStatus;
  channel?: ContactChannel;
  correlationId?: string;
  /** Only manual tasks pending for longer than this date. */
  pendingSince?: Date;
  page: number;
  pageSize: number;
}

/** Every database read and write of notifications. */
@Injectable()
export class NotificationRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Inserts the notification unless its dedupe key exists; returns the stored one and whether it is new. */
  async create(manager: EntityManager, fields: NewNotification): Promise<{ notification: Notification; created: boolean }> {
    const first = fields.route[0];
    const values = { id: randomUUID(), ...fields, channel: first.channel, recipient: first.recipient, hop: 0, generation: 0, attempts: 0 };
    const inserted = await manager
      .createQueryBuilder()
      .insert()
      .into(Notification)
      .values(values as QueryDeepPartialEntity<Notification>)
      .orIgnore()
      .returning('created_at, updated_at')
      .execute()
      .then((r) => r.raw as { created_at: Date; updated_at: Date }[]);
    if (inserted.length === 0) return { notification: await manager.findOneByOrFail(Notification, { dedupeKey: fields.dedupeKey! }), created: false };
    // The row as inserted, without reading it back: what was written, the database's timestamps, nulls for the rest.
    const unset = { lastError: null, providerMessageId: null, sentAt: null, completedBy: null, completedAt: null, completionNote: null, cancelledAt: null, erasedAt: null };
    const notification = Object.assign(new Notification(), unset, values, { createdAt: inserted[0].created_at, updatedAt: inserted[0].updated_at });
    return { notification, created: true };
  }

  /**
   * A notification asked for by an event, in one statement (one round trip where the transaction
   * took six: BEGIN, the inbox marker, the erased-account check, the lead, the notification,
   * COMMIT): the inbox marker; then, the first time the message is seen and unless its
   * correlation id is an erased account, the lead's contact (upserted, when given) and the
   * notification, queued on its first hop (unless its dedupe key exists). For a route whose first
   * hop is queued (not a LinkedIn task, which also writes its event). True when a notification was
   * inserted (the caller enqueues it); false for a message seen before, an erased account or an
   * existing dedupe key.
   */
  async createFromEvent(
    consumer: string,
    ctx: Pick<EventContext, 'messageId' | 'routingKey'>,
    fields: NewNotification & { id: string },
    lead?: LeadContact,
  ): Promise<boolean> {
    const { values, p } = parameters();
    const first = fields.route[0];
    const ctes = [
      inboxInsertCte(consumer, ctx, p),
      `go AS (SELECT 1 FROM inbox_row WHERE NOT EXISTS (SELECT 1 FROM erased_accounts WHERE user_id = ${p(fields.correlationId)}::text))`,
      ...(lead
        ? [
            `lead AS (INSERT INTO lead_contacts (submission_id, name, email, phone, telegram_chat_id, linkedin_url, contact_channel, locale, status_url, message) ` +
              `SELECT ${[lead.submissionId, lead.name, lead.email, lead.phone, lead.telegramChatId, lead.linkedinUrl, lead.contactChannel, lead.locale, lead.statusUrl, lead.message].map((v, i) => `${p(v)}${i === 0 ? '::uuid' : '::text'}`).join(', ')} FROM go ` +
              `ON CONFLICT (submission_id) DO UPDATE SET name = EXCLUDED.name, email = EXCLUDED.email, phone = EXCLUDED.phone, telegram_chat_id = EXCLUDED.telegram_chat_id, ` +
              `linkedin_url = EXCLUDED.linkedin_url, contact_channel = EXCLUDED.contact_channel, locale = EXCLUDED.locale, status_url = EXCLUDED.status_url, message = EXCLUDED.message)`,
          ]
        : []),
      `inserted AS (INSERT INTO notifications (id, dedupe_key, correlation_id, channel, recipient, template, locale, data, route, hop, generation, status, attempts, manual_text) ` +
        `SELECT ${p(fields.id)}::uuid, ${p(fields.dedupeKey)}::text, ${p(fields.correlationId)}::text, ${p(first.channel)}::text, ${p(first.recipient)}::text, ${p(fields.template)}::text, ` +
        `${p(fields.locale)}::text, ${p(JSON.stringify(fields.data))}::jsonb, ${p(JSON.stringify(fields.route))}::jsonb, 0, 0, ${p(fields.status)}::text, 0, ${p(fields.manualText)}::text FROM go ` +
        `ON CONFLICT DO NOTHING RETURNING id)`,
    ];
    const [row] = await runPrepared<{ created: boolean }>(
      this.dataSource,
      `statex-notification-from-event-${lead ? 'with' : 'without'}-lead`,
      `WITH ${ctes.join(', ')} SELECT EXISTS (SELECT 1 FROM inserted) AS created`,
      values,
    );
    return row.created;
  }

  findById(id: string, manager: EntityManager = this.dataSource.manager): Promise<Notification | null> {
    return manager.findOneBy(Notification, { id });
  }

  lock(manager: EntityManager, id: string): Promise<Notification | null> {
    return manager.findOne(Notification, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  attemptsOf(id: string): Promise<NotificationAttempt[]> {
    return this.dataSource.manager.find(NotificationAttempt, { where: { notificationId: id }, order: { at: 'ASC', id: 'ASC' } });
  }

  async list(filter: NotificationFilter): Promise<{ items: Notification[]; total: number }> {
    const qb = this.dataSource.manager.createQueryBuilder(Notification, 'n');
    if (filter.status) qb.andWhere('n.status = :status', { status: filter.status });
    if (filter.channel) qb.andWhere('n.channel = :channel', { channel: filter.channel });
    if (filter.correlationId) qb.andWhere('n.correlation_id = :correlationId', { correlationId: filter.correlationId });
    if (filter.pendingSince) qb.andWhere("n.status = 'manual_pending' AND n.created_at < :since", { since: filter.pendingSince });
    const [items, total] = await qb
      .orderBy('n.created_at', 'DESC')
      .addOrderBy('n.id', 'ASC')
      .skip((filter.page - 1) * filter.pageSize)
      .take(filter.pageSize)
      .getManyAndCount();
    return { items, total };
  }

  async update(manager: EntityManager, id: string, changes: Partial<Notification>): Promise<void> {
    await manager.update(Notification, { id }, changes as QueryDeepPartialEntity<Notification>);
  }

  /**
   * Takes a delivery job's notification for sending, in one statement (one round trip where a
   * read and an update were two): marked `sending` if it is still this job's run and hop, waiting
   * or interrupted mid-send, and neither cancelled nor erased. Returns the row as marked and the
   * status it had (`sending`: the last attempt stopped mid-send), or null when there is nothing
   * for the job to do. The row is named by its key on both sides (`n.id = $1`, not only through
   * `previous`): joined only through the CTE, the plan PostgreSQL caches for the prepared statement,
   * made from a young table's statistics, found `n` through the status index and read every entry
   * left there since the last vacuum (188 buffers a claim at 50 leads/s, 20 now).
   */
  async claimForDelivery(id: string, generation: number, hop: number): Promise<{ notification: Notification; previousStatus: NotificationStatus } | null> {
    const rows = await runPrepared<Record<string, unknown>>(
      this.dataSource,
      'statex-notification-claim',
      `WITH previous AS (SELECT id, status FROM notifications WHERE id = $1 FOR UPDATE)
       UPDATE notifications n SET status = 'sending', updated_at = now() FROM previous
       WHERE n.id = $1 AND previous.id = $1 AND n.generation = $2 AND n.hop = $3 AND n.status IN ('queued', 'sending') AND n.erased_at IS NULL
       RETURNING n.*, previous.status AS previous_status`,
      [id, generation, hop],
    );
    const row = rows[0];
    if (!row) return null;
    return { notification: this.entityOf(Notification, row), previousStatus: row.previous_status as NotificationStatus };
  }

  async addAttempt(manager: EntityManager, attempt: Omit<NotificationAttempt, 'id'>, countsAsAttempt = true): Promise<void> {
    await manager.insert(NotificationAttempt, attempt);
    if (countsAsAttempt) {
      await manager.createQueryBuilder().update(Notification).set({ attempts: () => 'attempts + 1' }).where('id = :id', { id: attempt.notificationId }).execute();
    }
  }

  /**
   * Records a delivery the provider took, in one statement (one round trip where the transaction
   * took eight): locks the row, so an erasure under way finishes first; adds the attempt; marks the
   * notification sent and counts the attempt; writes `event` to the outbox and wakes the relay. When
   * the account was erased meanwhile, the attempt and the event say ERASED instead of the address.
   * The row is named by its key in the update too, as in claimForDelivery.
   */
  async recordSent(sent: { id: string; at: Date; channel: string; recipient: string; providerMessageId: string }, event: OutboxRow): Promise<void> {
    const { values, p } = parameters();
    const erased = p(ERASED);
    const id = p(sent.id);
    const ctes = [
      `target AS (SELECT id, erased_at IS NOT NULL AS erased FROM notifications WHERE id = ${id} FOR UPDATE)`,
      `attempt AS (INSERT INTO notification_attempts (notification_id, at, channel, recipient, outcome, error) ` +
        `SELECT id, ${p(sent.at)}, ${p(sent.channel)}, CASE WHEN erased THEN ${erased} ELSE ${p(sent.recipient)} END, 'sent', NULL FROM target)`,
      `updated AS (UPDATE notifications n SET status = 'sent', provider_message_id = ${p(sent.providerMessageId)}, sent_at = ${p(sent.at)}, last_error = NULL, ` +
        `attempts = n.attempts + 1, updated_at = now() FROM target WHERE n.id = ${id} AND target.id = ${id})`,
      outboxInsertCtes(event, p, { from: 'target', payload: (payload) => `CASE WHEN erased THEN jsonb_set(${payload}, '{recipient}', to_jsonb(${erased}::text)) ELSE ${payload} END` }),
    ];
    await runPrepared(this.dataSource, 'statex-notification-sent', `WITH ${ctes.join(', ')} SELECT count(*) FROM outbox_notified`, values);
  }

  /** Whether anything on this channel already reached this recipient (WhatsApp's first contact rule). */
  async hasReached(channel: ContactChannel, recipient: string): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM notification_attempts WHERE channel = $1 AND recipient = $2 AND outcome = 'sent' LIMIT 1`,
      [channel, recipient],
    );
    return rows.length > 0;
  }

  /** Notifications that should be on a queue but may not be (a crash between commit and enqueue). */
  stuck(olderThan: Date): Promise<Notification[]> {
    return this.dataSource.manager
      .createQueryBuilder(Notification, 'n')
      .where("n.status IN ('queued', 'sending') AND n.updated_at < :olderThan", { olderThan })
      .orderBy('n.updated_at', 'ASC')
      .take(500)
      .getMany();
  }

  async countOverdue(since: Date): Promise<number> {
    return this.dataSource.manager.createQueryBuilder(Notification, 'n').where("n.status = 'manual_pending' AND n.created_at < :since", { since }).getCount();
  }

  async saveLead(manager: EntityManager, lead: LeadContact): Promise<void> {
    await manager.upsert(LeadContact, lead, ['submissionId']);
  }

  /** A lead's contact (a read for every analysis result, so a prepared statement rather than TypeORM's find). */
  async findLead(submissionId: string): Promise<LeadContact | null> {
    const [row] = await runPrepared<Record<string, unknown>>(this.dataSource, 'statex-notification-lead', `SELECT * FROM lead_contacts WHERE submission_id = $1`, [submissionId]);
    return row ? this.entityOf(LeadContact, row) : null;
  }

  /** An entity from a row read with plain SQL: each column's value under its property's name. */
  private entityOf<T extends object>(type: new () => T, row: Record<string, unknown>): T {
    const entity = new type();
    for (const column of this.dataSource.getMetadata(type).columns) (entity as Record<string, unknown>)[column.propertyName] = row[column.databaseName];
    return entity;
  }

  /**
   * Erases a deleted account from every notification that reached for it: those of the account
   * (correlation id = user id) and any to its address on any hop of the route. Recipient, route,
   * data (names and links with their tokens), manual text and the address in error texts go; the
   * rest (channel, template, status, times) stays for counts. What was still to be sent is
   * cancelled. The attempts and the outbox's copies of notification events lose the address too.
   * Returns how many notifications were erased.
   */
  async eraseAccount(manager: EntityManager, account: { userId: string; email: string }): Promise<number> {
    const email = account.email.toLowerCase();
    const mention = escapeRegExp(email);
    await manager.query(`INSERT INTO erased_accounts (user_id) VALUES ($1) ON CONFLICT DO NOTHING`, [account.userId]);
    const erased: { id: string }[] = await manager
      .query(
        `WITH target AS (
           SELECT id FROM notifications
           WHERE correlation_id = $1 OR lower(recipient) = $2
              OR EXISTS (SELECT 1 FROM jsonb_array_elements(route) AS step(value) WHERE lower(step.value->>'recipient') = $2)
           FOR UPDATE)
         UPDATE notifications n SET
           recipient = $4,
           route = (SELECT coalesce(jsonb_agg(jsonb_set(step.value, '{recipient}', to_jsonb($4::text))), '[]'::jsonb) FROM jsonb_array_elements(n.route) AS step(value)),
           data = '{}'::jsonb,
           manual_text = NULL,
           completion_note = NULL,
           last_error = regexp_replace(n.last_error, $3, $4, 'gi'),
           status = CASE WHEN n.status IN ('queued', 'sending', 'manual_pending') THEN 'cancelled' ELSE n.status END,
           cancelled_at = CASE WHEN n.status IN ('queued', 'sending', 'manual_pending') THEN now() ELSE n.cancelled_at END,
           erased_at = coalesce(n.erased_at, now()),
           updated_at = now()
         FROM target WHERE n.id = target.id
         RETURNING n.id`,
        [account.userId, email, mention, ERASED],
      )
      .then(returnedRows<{ id: string }>);
    const ids = erased.map((row) => row.id);
    if (ids.length > 0) {
      await manager.query(
        `UPDATE notification_attempts SET recipient = CASE WHEN recipient IS NULL THEN NULL ELSE $2 END, error = regexp_replace(error, $3, $2, 'gi') WHERE notification_id = ANY($1::uuid[])`,
        [ids, ERASED, mention],
      );
    }
    // The notification events waiting in (or already published from) the outbox name the address too.
    await manager.query(
      `UPDATE outbox_messages SET payload = payload || jsonb_build_object('recipient', $3::text)
       WHERE routing_key LIKE 'notification.%' AND (payload->>'correlationId' = $1 OR lower(payload->>'recipient') = $2)`,
      [account.userId, email, ERASED],
    );
    return ids.length;
  }

  /** Whether this correlation id is an account erased by `user.deleted` (a late message for it stores nothing). */
  async isErasedAccount(manager: EntityManager, correlationId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM erased_accounts WHERE user_id = $1`, [correlationId]);
    return rows.length > 0;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
