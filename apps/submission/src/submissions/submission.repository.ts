import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { outboxInsertCtes, type OutboxRow } from '@statex/messaging';
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

  async find(id: string): Promise<SubmissionRecord | null> {
    const submission = await this.dataSource.manager.findOne(Submission, { where: { id } });
    if (!submission) return null;
    const [attachments, timeline] = await Promise.all([
      this.dataSource.manager.find(SubmissionAttachment, { where: { submissionId: id }, order: { createdAt: 'ASC', fileName: 'ASC' } }),
      this.dataSource.manager.find(SubmissionStatusChange, { where: { submissionId: id }, order: { at: 'ASC', id: 'ASC' } }),
    ]);
    return { submission, attachments, timeline };
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

  /** False when another request already claimed the key (it commits first, this one rolls back). */
  async claimIdempotencyKey(manager: EntityManager, row: Omit<IdempotencyKey, 'createdAt'>): Promise<boolean> {
    const result: unknown[] = await manager.query(
      `INSERT INTO idempotency_keys (key, request_hash, submission_id, response) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [row.key, row.requestHash, row.submissionId, JSON.stringify(row.response)],
    );
    return result.length > 0;
  }

  lockSubmission(manager: EntityManager, id: string): Promise<Submission | null> {
    return manager.findOne(Submission, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** Whether the lead's timeline already shows `status` (a timed stage is measured the first time only). */
  async hasReached(manager: EntityManager, submissionId: string, status: string): Promise<boolean> {
    return (await manager.count(SubmissionStatusChange, { where: { submissionId, status: status as SubmissionStatusChange['status'] } })) > 0;
  }

  async addStatusChange(
    manager: EntityManager,
    change: { submissionId: string; status: SubmissionStatus; at: Date; note: string | null },
    moveStatus: boolean,
    changes: Partial<Pick<Submission, 'analysis'>> = {},
  ): Promise<void> {
    await manager.insert(SubmissionStatusChange, change);
    const update = { ...changes, ...(moveStatus ? { status: change.status } : {}) };
    if (Object.keys(update).length > 0) await manager.update(Submission, { id: change.submissionId }, update as QueryDeepPartialEntity<Submission>);
  }
}
