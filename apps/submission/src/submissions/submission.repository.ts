import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { inboxInsertCte, outboxInsertCtes, type EventContext, type OutboxRow } from '@statex/messaging';
import { parameters, runPrepared } from '@statex/persistence';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { SubmissionStatus } from '@statex/contracts';
import { IdempotencyKey, Submission, SubmissionAttachment, SubmissionStatusChange } from './entities';

export interface SubmissionFilter {
  /** Exact, in any letter case. */
  email?: string;
  status?: SubmissionStatus;
  /** Text in the name, email, company or message, in any letter case. */
  text?: string;
  page: number;
  pageSize: number;
}

/** Escapes `%`, `_` and `\` so that each matches itself in a LIKE pattern. */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface SubmissionRecord {
  submission: Submission;
  attachments: SubmissionAttachment[];
  timeline: SubmissionStatusChange[];
}

/** Every database read and write of the submission feature. */
@Injectable()
export class SubmissionRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /**
   * The lead, its attachments and its timeline as of one moment (one REPEATABLE READ snapshot): a
   * status event commits its timeline entry and the status together, and a view read in separate
   * statements could show the entry without the status it brought.
   */
  async find(id: string): Promise<SubmissionRecord | null> {
    return this.dataSource.transaction('REPEATABLE READ', async (manager) => {
      const submission = await manager.findOne(Submission, { where: { id } });
      if (!submission) return null;
      const attachments = await manager.find(SubmissionAttachment, { where: { submissionId: id }, order: { createdAt: 'ASC', fileName: 'ASC' } });
      const timeline = await manager.find(SubmissionStatusChange, { where: { submissionId: id }, order: { at: 'ASC', id: 'ASC' } });
      return { submission, attachments, timeline };
    });
  }

  /** Newest first. */
  async list(filter: SubmissionFilter): Promise<{ items: Submission[]; total: number }> {
    const qb = this.dataSource.manager.createQueryBuilder(Submission, 's');
    if (filter.email !== undefined) qb.andWhere('lower(s.email) = lower(:email)', { email: filter.email });
    if (filter.status !== undefined) qb.andWhere('s.status = :status', { status: filter.status });
    if (filter.text) {
      const columns = ['s.name', 's.email', 's.company', 's.message'].map((column) => `${column} ILIKE :pattern ESCAPE '\\'`);
      qb.andWhere(`(${columns.join(' OR ')})`, { pattern: `%${escapeLike(filter.text)}%` });
    }
    const [items, total] = await qb
      .orderBy('s.createdAt', 'DESC')
      .addOrderBy('s.id', 'DESC')
      .skip((filter.page - 1) * filter.pageSize)
      .take(filter.pageSize)
      .getManyAndCount();
    return { items, total };
  }

  findIdempotencyKey(key: string): Promise<IdempotencyKey | null> {
    return this.dataSource.manager.findOne(IdempotencyKey, { where: { key } });
  }

  async insert(manager: EntityManager, submission: Submission, attachments: SubmissionAttachment[]): Promise<void> {
    await manager.insert(Submission, submission as QueryDeepPartialEntity<Submission>);
    if (attachments.length > 0) await manager.insert(SubmissionAttachment, attachments);
    await manager.insert(SubmissionStatusChange, { submissionId: submission.id, status: submission.status, at: submission.createdAt, note: null });
  }

  /**
   * The submission, its attachments, its first timeline entry and its event, in one statement:
   * atomic like a transaction, in one round trip instead of six (BEGIN, three inserts, the relay's
   * notification, COMMIT). The hot path of the contact form.
   */
  async insertAccepted(submission: Submission, attachments: SubmissionAttachment[], event: OutboxRow): Promise<void> {
    const { values: params, p } = parameters();
    const s = submission;
    const attachmentRows = JSON.stringify(
      attachments.map((a) => ({ id: a.id, submission_id: a.submissionId, file_name: a.fileName, content_type: a.contentType, size: a.size, sha256: a.sha256, storage_key: a.storageKey, created_at: a.createdAt })),
    );
    const ctes = [
      `submission_row AS (INSERT INTO submissions (id, name, email, phone, company, message, contact_channel, telegram_chat_id, linkedin_url, locale, analysis, status, created_at, updated_at) ` +
        `VALUES (${p(s.id)}, ${p(s.name)}, ${p(s.email)}, ${p(s.phone)}, ${p(s.company)}, ${p(s.message)}, ${p(s.contactChannel)}, ${p(s.telegramChatId)}, ${p(s.linkedinUrl)}, ${p(s.locale)}, NULL, ${p(s.status)}, ${p(s.createdAt)}, ${p(s.updatedAt)}))`,
      `timeline_row AS (INSERT INTO submission_status_changes (submission_id, status, at, note) VALUES (${p(s.id)}, ${p(s.status)}, ${p(s.createdAt)}, NULL))`,
      ...(attachments.length > 0
        ? [
            `attachment_rows AS (INSERT INTO submission_attachments (id, submission_id, file_name, content_type, size, sha256, storage_key, created_at) ` +
              `SELECT a.id, a.submission_id, a.file_name, a.content_type, a.size, a.sha256, a.storage_key, a.created_at FROM jsonb_to_recordset(${p(attachmentRows)}::jsonb) ` +
              `AS a(id uuid, submission_id uuid, file_name text, content_type text, size bigint, sha256 text, storage_key text, created_at timestamptz))`,
          ]
        : []),
      outboxInsertCtes(event, p),
    ];
    await runPrepared(this.dataSource, `statex-submission-accepted-${attachments.length > 0 ? 'with' : 'without'}-attachments`, `WITH ${ctes.join(', ')} SELECT count(*) FROM outbox_notified`, params);
  }

  /**
   * A lead's status event, once per message, in one statement: the inbox marker; the timeline
   * entry; the status, moved only forward along `ranks` (a late `acknowledged` never undoes
   * `analyzed`); the analysis, unless the lead already shows a newer run's. The row is locked
   * first, and the status and analysis are compared with its latest version, as the transaction
   * this replaces did (seven round trips: BEGIN, inbox, lock, count, insert, update, COMMIT).
   * Returns whether the message was new, the lead's creation time (null: no such lead) and
   * whether the timeline showed `status` before.
   */
  async recordStatusEvent(
    consumer: string,
    ctx: Pick<EventContext, 'messageId' | 'routingKey'>,
    change: { submissionId: string; status: SubmissionStatus; at: Date; note: string | null; analysis: Record<string, unknown> | null },
    ranks: readonly SubmissionStatus[],
  ): Promise<{ fresh: boolean; createdAt: Date | null; reachedBefore: boolean }> {
    const { values, p } = parameters();
    const id = `${p(change.submissionId)}::uuid`;
    const status = `${p(change.status)}::text`;
    const analysis = `${p(change.analysis === null ? null : JSON.stringify(change.analysis))}::jsonb`;
    const order = `${p(ranks)}::text[]`;
    // A run number as the service reads it: `run` when it is a number, else the first run.
    const runOf = (json: string) => `(CASE WHEN jsonb_typeof(${json}->'run') = 'number' THEN (${json}->>'run')::numeric ELSE 1 END)`;
    const forward = `array_position(${order}, ${status}) > array_position(${order}, s.status)`;
    const takesAnalysis = `(${analysis} IS NOT NULL AND NOT (s.analysis IS NOT NULL AND ${runOf('s.analysis')} > ${runOf(analysis)}))`;
    const text =
      `WITH ${inboxInsertCte(consumer, ctx, p)}, ` +
      `target AS (SELECT id, created_at FROM submissions WHERE id = ${id} AND EXISTS (SELECT 1 FROM inbox_row) FOR UPDATE), ` +
      `reached AS (SELECT EXISTS (SELECT 1 FROM submission_status_changes WHERE submission_id = ${id} AND status = ${status}) AS before), ` +
      `timeline_row AS (INSERT INTO submission_status_changes (submission_id, status, at, note) SELECT id, ${status}, ${p(change.at)}::timestamptz, ${p(change.note)}::text FROM target), ` +
      `moved AS (UPDATE submissions s SET status = CASE WHEN ${forward} THEN ${status} ELSE s.status END, ` +
      `analysis = CASE WHEN ${takesAnalysis} THEN ${analysis} ELSE s.analysis END, updated_at = now() ` +
      `FROM target WHERE s.id = target.id AND (${forward} OR ${takesAnalysis})) ` +
      `SELECT EXISTS (SELECT 1 FROM inbox_row) AS fresh, (SELECT created_at FROM target) AS created_at, (SELECT before FROM reached) AS reached_before`;
    const [row] = await runPrepared<{ fresh: boolean; created_at: Date | null; reached_before: boolean }>(this.dataSource, 'statex-submission-status-event', text, values);
    return { fresh: row.fresh, createdAt: row.created_at, reachedBefore: row.reached_before };
  }

  /** False when another request already claimed the key (it commits first, this one rolls back). */
  async claimIdempotencyKey(manager: EntityManager, row: Omit<IdempotencyKey, 'createdAt'>): Promise<boolean> {
    const result: unknown[] = await manager.query(
      `INSERT INTO idempotency_keys (key, request_hash, submission_id, response) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [row.key, row.requestHash, row.submissionId, JSON.stringify(row.response)],
    );
    return result.length > 0;
  }
}
