import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { ContentMedia } from './media.entity';

@Injectable()
export class MediaRepository {
  constructor(private readonly dataSource: DataSource) {}

  find(id: string): Promise<ContentMedia | null> {
    return this.dataSource.manager.findOne(ContentMedia, { where: { id } });
  }

  findMany(ids: string[]): Promise<ContentMedia[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.dataSource.manager.find(ContentMedia, { where: { id: In(ids) } });
  }

  async insert(media: ContentMedia): Promise<void> {
    await this.dataSource.manager.insert(ContentMedia, media);
  }

  async delete(id: string): Promise<void> {
    await this.dataSource.manager.delete(ContentMedia, { id });
  }

  async list(page: number, pageSize: number): Promise<{ items: ContentMedia[]; total: number }> {
    const [items, total] = await this.dataSource.manager.findAndCount(ContentMedia, { order: { createdAt: 'DESC', id: 'ASC' }, skip: (page - 1) * pageSize, take: pageSize });
    return { items, total };
  }

  /** The entries whose latest or published version shows the file (type, locale and slug). */
  async usedBy(id: string): Promise<{ type: string; locale: string; slug: string }[]> {
    return this.dataSource.query(
      `SELECT type, locale, slug FROM content_entries WHERE media @> $1::jsonb
       UNION SELECT type, locale, slug FROM content_published WHERE media @> $1::jsonb
       ORDER BY type, locale, slug`,
      [JSON.stringify([{ mediaId: id }])],
    );
  }
}
