import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { ContentType, Locale } from '@statex/contracts';
import { ContentEntry, ContentStatus, ContentVersion, EntryContent, PublishedEntry } from './entities';

export interface AdminSearch {
  type: ContentType;
  status?: ContentStatus;
  locale?: Locale;
  q?: string;
  page: number;
  pageSize: number;
}

/** Every database read and write of entries, versions and the published copies (the editors' side). */
@Injectable()
export class EntryRepository {
  constructor(private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  find(id: string, manager: EntityManager = this.dataSource.manager): Promise<ContentEntry | null> {
    return manager.findOne(ContentEntry, { where: { id } });
  }

  /** The entry, locked until the transaction ends: two saves of one entry take turns. */
  lock(manager: EntityManager, id: string): Promise<ContentEntry | null> {
    return manager.findOne(ContentEntry, { where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  findBySlug(type: ContentType, locale: Locale, slug: string, manager: EntityManager = this.dataSource.manager): Promise<ContentEntry | null> {
    return manager.findOne(ContentEntry, { where: { type, locale, slug } });
  }

  count(): Promise<number> {
    return this.dataSource.manager.count(ContentEntry);
  }

  async insert(manager: EntityManager, entry: ContentEntry): Promise<void> {
    await manager.insert(ContentEntry, entry as QueryDeepPartialEntity<ContentEntry>);
  }

  async update(manager: EntityManager, id: string, changes: Partial<ContentEntry>): Promise<void> {
    await manager.update(ContentEntry, { id }, changes as QueryDeepPartialEntity<ContentEntry>);
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    // Its versions and published copy go with it (ON DELETE CASCADE).
    await manager.delete(ContentEntry, { id });
  }

  async addVersion(manager: EntityManager, version: ContentVersion): Promise<void> {
    await manager.insert(ContentVersion, version as QueryDeepPartialEntity<ContentVersion>);
  }

  versions(entryId: string): Promise<ContentVersion[]> {
    return this.dataSource.manager.find(ContentVersion, { where: { entryId }, order: { version: 'DESC' } });
  }

  version(entryId: string, version: number, manager: EntityManager = this.dataSource.manager): Promise<ContentVersion | null> {
    return manager.findOne(ContentVersion, { where: { entryId, version } });
  }

  /** Puts a version on the website (replacing what the entry showed before). */
  async upsertPublished(manager: EntityManager, copy: PublishedEntry): Promise<void> {
    await manager.upsert(PublishedEntry, copy as QueryDeepPartialEntity<PublishedEntry>, ['entryId']);
  }

  /** Takes the entry off the website; true when it was on it. */
  async removePublished(manager: EntityManager, entryId: string): Promise<boolean> {
    const result = await manager.delete(PublishedEntry, { entryId });
    return (result.affected ?? 0) > 0;
  }

  /** Whether another entry's published copy already holds this address (the same type, locale and slug). */
  async publishedSlugTaken(manager: EntityManager, entry: Pick<ContentEntry, 'id' | 'type' | 'locale'>, slug: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM content_published WHERE type = $1 AND locale = $2 AND slug = $3 AND entry_id <> $4`, [entry.type, entry.locale, slug, entry.id]);
    return rows.length > 0;
  }

  /** Entries whose scheduled publication came due, locked (SKIP LOCKED: replicas share the work). */
  async lockDue(manager: EntityManager, limit: number): Promise<ContentEntry[]> {
    return manager
      .createQueryBuilder(ContentEntry, 'e')
      .where('e.publish_at <= now()')
      .orderBy('e.publish_at', 'ASC')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
  }

  async search(search: AdminSearch): Promise<{ items: ContentEntry[]; total: number }> {
    const query = this.dataSource.manager.createQueryBuilder(ContentEntry, 'e').where('e.type = :type', { type: search.type });
    if (search.status) query.andWhere('e.status = :status', { status: search.status });
    if (search.locale) query.andWhere('e.locale = :locale', { locale: search.locale });
    if (search.q) {
      const pattern = `%${search.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query.andWhere('(e.title ILIKE :pattern OR e.slug ILIKE :pattern)', { pattern });
    }
    const [items, total] = await query
      .orderBy('e.updated_at', 'DESC')
      .addOrderBy('e.id', 'ASC')
      .skip((search.page - 1) * search.pageSize)
      .take(search.pageSize)
      .getManyAndCount();
    return { items, total };
  }
}

export function contentOf(source: EntryContent): EntryContent {
  return {
    slug: source.slug,
    title: source.title,
    summary: source.summary,
    seoTitle: source.seoTitle,
    seoDescription: source.seoDescription,
    body: source.body,
    fields: source.fields,
    media: source.media,
  };
}
