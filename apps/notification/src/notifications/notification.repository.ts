import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Notification, NotificationAttempt } from './entities';

export type NewNotification = Pick<Notification, 'dedupeKey' | 'correlationId' | 'channel' | 'recipient' | 'template' | 'locale'>;

/** Every database read and write of the notification feature. */
@Injectable()
export class NotificationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The notification for this dedupe key, created `queued` if it does not exist yet. */
  async findOrCreate(fields: NewNotification): Promise<Notification> {
    await this.dataSource.manager
      .createQueryBuilder()
      .insert()
      .into(Notification)
      .values({ id: randomUUID(), status: 'queued', attempts: 0, ...fields })
      .orIgnore()
      .execute();
    return this.dataSource.manager.findOneByOrFail(Notification, { dedupeKey: fields.dedupeKey });
  }

  findById(id: string): Promise<Notification | null> {
    return this.dataSource.manager.findOneBy(Notification, { id });
  }

  attemptsOf(id: string): Promise<NotificationAttempt[]> {
    return this.dataSource.manager.find(NotificationAttempt, { where: { notificationId: id }, order: { at: 'ASC', id: 'ASC' } });
  }

  async markSending(id: string): Promise<void> {
    await this.dataSource.manager.update(Notification, { id }, { status: 'sending' });
  }

  async recordFailedAttempt(manager: EntityManager | undefined, id: string, error: string, final: boolean): Promise<void> {
    const m = manager ?? this.dataSource.manager;
    await m.insert(NotificationAttempt, { notificationId: id, at: new Date(), outcome: 'failed', error });
    await m
      .createQueryBuilder()
      .update(Notification)
      .set({ attempts: () => 'attempts + 1', lastError: error, status: final ? 'failed' : 'queued' })
      .where('id = :id', { id })
      .execute();
  }

  async markSent(manager: EntityManager, id: string, providerMessageId: string, sentAt: Date): Promise<void> {
    await manager.insert(NotificationAttempt, { notificationId: id, at: sentAt, outcome: 'sent', error: null });
    await manager
      .createQueryBuilder()
      .update(Notification)
      .set({ attempts: () => 'attempts + 1', status: 'sent', providerMessageId, sentAt, lastError: null })
      .where('id = :id', { id })
      .execute();
  }
}
