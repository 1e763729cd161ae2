import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ContactChannel } from '@statex/contracts';
import { LeadContact, Notification, NotificationAttempt, NotificationStatus } from './entities';

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
    const id = randomUUID();
    const first = fields.route[0];
    const inserted: unknown[] = await manager
      .createQueryBuilder()
      .insert()
      .into(Notification)
      .values({ id, ...fields, channel: first.channel, recipient: first.recipient, hop: 0, generation: 0, attempts: 0 } as QueryDeepPartialEntity<Notification>)
      .orIgnore()
      .returning('id')
      .execute()
      .then((r) => r.raw as unknown[]);
    const notification = inserted.length > 0 ? await manager.findOneByOrFail(Notification, { id }) : await manager.findOneByOrFail(Notification, { dedupeKey: fields.dedupeKey! });
    return { notification, created: inserted.length > 0 };
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

  async addAttempt(manager: EntityManager, attempt: Omit<NotificationAttempt, 'id'>, countsAsAttempt = true): Promise<void> {
    await manager.insert(NotificationAttempt, attempt);
    if (countsAsAttempt) {
      await manager.createQueryBuilder().update(Notification).set({ attempts: () => 'attempts + 1' }).where('id = :id', { id: attempt.notificationId }).execute();
    }
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

  findLead(submissionId: string): Promise<LeadContact | null> {
    return this.dataSource.manager.findOneBy(LeadContact, { submissionId });
  }
}
