import { createHash, randomUUID } from 'node:crypto';
import { Injectable, Logger, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import type { AuthUser } from '@statex/auth';
import {
  CreateSubmissionDto,
  EventPayload,
  RoutingKey,
  SubmissionAcceptedDto,
  SubmissionPageDto,
  SubmissionStatus,
  SubmissionStatusViewDto,
  SubmissionViewDto,
} from '@statex/contracts';
import { EventContext, OutboxService } from '@statex/messaging';
import { attachmentStorageKey, StorageDriver } from '@statex/storage';
import type { UploadedFile } from '../attachments/multipart-form.reader';
import { SubmissionEnv } from '../submission.env';
import { Submission, SubmissionAttachment } from './entities';
import { FormRateLimits } from './form-rate-limits';
import { journeyStageDuration, TIMED_STAGES } from './journey.metrics';
import { DEFAULT_PAGE_SIZE, ListSubmissionsQuery } from './list-submissions.query';
import { listEmailFilter, seesLeadInFull } from './submission.access';
import { toFullView, toStatusView, toSummary } from './submission.presenter';
import { SubmissionRepository } from './submission.repository';

/**
 * The statuses in journey order; a submission's status only moves forward along it. Every status
 * is listed once (the Record keeps the list complete when a status is added).
 */
const STATUS_RANK: Record<SubmissionStatus, number> = {
  received: 0,
  acknowledgement_failed: 1,
  acknowledged: 2,
  analyzing: 3,
  analysis_failed: 4,
  analyzed: 5,
  answer_failed: 6,
  answered: 7,
};
const STATUSES_IN_ORDER = (Object.keys(STATUS_RANK) as SubmissionStatus[]).sort((a, b) => STATUS_RANK[a] - STATUS_RANK[b]);

export interface Accepted {
  body: SubmissionAcceptedDto;
  replayed: boolean;
}

const CONSUMER = 'submission';

@Injectable()
export class SubmissionService {
  private readonly logger = new Logger(SubmissionService.name);

  constructor(
    private readonly repository: SubmissionRepository,
    private readonly outbox: OutboxService,
    private readonly storage: StorageDriver,
    private readonly env: SubmissionEnv,
    private readonly rateLimits: FormRateLimits,
  ) {}

  /**
   * Stores the submission, its attachments, its first timeline entry and its
   * `request.created` event in one transaction. With an Idempotency-Key, a retry of
   * the same request returns the first response and creates nothing (nor counts against the
   * email address's rate limit).
   */
  async create(input: CreateSubmissionDto, files: UploadedFile[], idempotencyKey?: string): Promise<Accepted> {
    // Only a request with an Idempotency-Key is compared with an earlier one.
    const requestHash = idempotencyKey ? fingerprint(input, files) : '';
    if (idempotencyKey) {
      const replay = await this.replay(idempotencyKey, requestHash);
      if (replay) return replay;
    }
    await this.rateLimits.countEmail(input.email);

    const id = randomUUID();
    const now = new Date();
    const submission = Object.assign(new Submission(), {
      id,
      name: input.name,
      email: input.email,
      phone: input.phone ?? null,
      company: input.company ?? null,
      message: input.message,
      contactChannel: input.contactChannel ?? 'email',
      telegramChatId: input.telegramChatId ?? null,
      linkedinUrl: input.linkedinUrl ?? null,
      locale: input.locale ?? 'en',
      analysis: null,
      status: 'received' as const,
      createdAt: now,
      updatedAt: now,
    });
    const attachments = files.map((file) => {
      const attachmentId = randomUUID();
      return Object.assign(new SubmissionAttachment(), {
        id: attachmentId,
        submissionId: id,
        fileName: file.fileName,
        contentType: file.contentType,
        size: file.size,
        sha256: file.sha256,
        storageKey: attachmentStorageKey(id, attachmentId),
        createdAt: now,
      });
    });
    const body: SubmissionAcceptedDto = { id, status: 'received', statusUrl: `${this.env.SUBMISSION_PUBLIC_URL.replace(/\/$/, '')}/api/submissions/${id}` };

    // Files first: the row that points at them is only committed once they are stored.
    await Promise.all(attachments.map((a, i) => this.storage.putFile(a.storageKey, files[i].path, a.contentType)));
    const event: EventPayload<typeof RoutingKey.RequestCreated> = {
      submissionId: id,
      name: submission.name,
      email: submission.email,
      phone: submission.phone ?? undefined,
      company: submission.company ?? undefined,
      message: submission.message,
      contactChannel: submission.contactChannel,
      telegramChatId: submission.telegramChatId ?? undefined,
      linkedinUrl: submission.linkedinUrl ?? undefined,
      locale: submission.locale,
      attachments: attachments.map((a) => ({ id: a.id, fileName: a.fileName, contentType: a.contentType, size: a.size })),
      statusUrl: body.statusUrl,
      createdAt: now.toISOString(),
    };
    try {
      if (!idempotencyKey) {
        // The common case: one statement, one round trip.
        await this.repository.insertAccepted(submission, attachments, this.outbox.row(RoutingKey.RequestCreated, event, { correlationId: id }));
      } else {
        await this.repository.transaction(async (manager) => {
          await this.repository.insert(manager, submission, attachments);
          const claimed = await this.repository.claimIdempotencyKey(manager, { key: idempotencyKey, requestHash, submissionId: id, response: { ...body } });
          if (!claimed) throw new IdempotencyRace();
          await this.outbox.add(manager, RoutingKey.RequestCreated, event, { correlationId: id });
        });
      }
    } catch (error) {
      await Promise.all(attachments.map((a) => this.storage.delete(a.storageKey).catch(() => undefined)));
      if (error instanceof IdempotencyRace && idempotencyKey) {
        const replay = await this.replay(idempotencyKey, requestHash);
        if (replay) return replay;
      }
      throw error;
    }
    return { body, replayed: false };
  }

  private async replay(key: string, requestHash: string): Promise<Accepted | null> {
    const existing = await this.repository.findIdempotencyKey(key);
    if (!existing) return null;
    if (existing.requestHash !== requestHash) {
      throw new UnprocessableEntityException(`Idempotency-Key "${key}" was already used for a different request`);
    }
    return { body: existing.response as unknown as SubmissionAcceptedDto, replayed: true };
  }

  /** The full submission for staff and for the lead signed in with its verified email; the status view for anyone else. */
  async view(id: string, user: AuthUser | undefined): Promise<SubmissionViewDto | SubmissionStatusViewDto> {
    const record = await this.repository.find(id);
    if (!record) throw new NotFoundException(`Submission ${id} not found`);
    return seesLeadInFull(user, record.submission.email) ? toFullView(record) : toStatusView(record);
  }

  /** Staff: every lead, filtered. A client: only the leads sent with their verified email. */
  async list(user: AuthUser, query: ListSubmissionsQuery): Promise<SubmissionPageDto> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? DEFAULT_PAGE_SIZE;
    const { items, total } = await this.repository.list({
      email: listEmailFilter(user, query.email),
      status: query.status,
      text: query.q || undefined,
      page,
      pageSize,
    });
    return { items: items.map(toSummary), page, pageSize, total };
  }

  /**
   * Adds a timeline entry from an event, once per message; the status itself only
   * moves forward (a late `acknowledged` never undoes `analyzed`). One statement, one round
   * trip: each lead's journey brings four of these events.
   */
  async recordStatus(
    ctx: Pick<EventContext, 'messageId' | 'routingKey'>,
    submissionId: string,
    status: SubmissionStatus,
    at: Date,
    note: string | null,
    changes: Partial<Pick<Submission, 'analysis'>> = {},
  ): Promise<void> {
    const outcome = await this.repository.recordStatusEvent(CONSUMER, ctx, { submissionId, status, at, note, analysis: changes.analysis ?? null }, STATUSES_IN_ORDER);
    const applied = outcome.fresh;
    if (applied && !outcome.createdAt) this.logger.warn({ submissionId }, `No submission for ${ctx.routingKey}; ignored`);
    // Observed once committed, the first time the lead reaches the stage (acknowledged and
    // analysing race, so a stage can be reached without the status moving to it).
    if (applied && outcome.createdAt && (TIMED_STAGES as readonly string[]).includes(status) && !outcome.reachedBefore) {
      journeyStageDuration.observe({ stage: status }, Math.max(0, (at.getTime() - outcome.createdAt.getTime()) / 1000));
    }
    if (!applied) this.logger.log(`Duplicate ${ctx.routingKey} ${ctx.messageId} ignored`);
  }
}

class IdempotencyRace extends Error {}

/** Identifies "the same request" for Idempotency-Key: its fields and its files' contents. */
function fingerprint(input: CreateSubmissionDto, files: UploadedFile[]): string {
  const fields = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256')
    .update(JSON.stringify({ fields, files: files.map((f) => [f.fileName, f.sha256]) }))
    .digest('hex');
}
