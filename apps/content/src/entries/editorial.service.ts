import { randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, Injectable, Logger, NotFoundException } from '@nestjs/common';
import { EntityManager, QueryFailedError } from 'typeorm';
import { ContentType, RoutingKey } from '@statex/contracts';
import { OutboxService } from '@statex/messaging';
import { mediaUrl } from '../media/media.entity';
import { MediaRepository } from '../media/media.repository';
import { ContentCache } from '../public/content-cache';
import { MarkdownRenderer } from '../rendering/markdown';
import { validateTypeFields } from './content-types';
import { ContentEntry, ContentVersion, EntryContent, MediaRef } from './entities';
import { AdminEntryPage, AdminEntryView, AdminListQuery, CreateEntryDto, MediaRefDto, UpdateEntryDto, VersionSummaryView, VersionView } from './entries.dto';
import { contentOf, EntryRepository } from './entry.repository';

const isUniqueViolation = (error: unknown): boolean => error instanceof QueryFailedError && (error.driverError as { code?: string }).code === '23505';

/** Keys of EntryContent compared to tell whether a save changed anything. */
const CONTENT_KEYS: (keyof EntryContent)[] = ['slug', 'title', 'summary', 'seoTitle', 'seoDescription', 'body', 'fields', 'media'];
const same = (a: EntryContent, b: EntryContent) => CONTENT_KEYS.every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]));

/**
 * The editors' side: drafts, versions, and the workflow draft → published → archived. Every
 * change to what the website shows happens in one transaction with its event (outbox), and
 * clears the public cache once committed.
 */
@Injectable()
export class EditorialService {
  private readonly logger = new Logger(EditorialService.name);

  constructor(
    private readonly entries: EntryRepository,
    private readonly outbox: OutboxService,
    private readonly renderer: MarkdownRenderer,
    private readonly cache: Pick<ContentCache, 'invalidate'>,
    private readonly mediaFiles: MediaRepository,
  ) {}

  async create(type: ContentType, dto: CreateEntryDto, author: string | null): Promise<AdminEntryView> {
    const fields = await validateTypeFields(type, dto.fields ?? {});
    const media = await this.resolveMedia(dto.media ?? []);
    const now = new Date();
    const entry: ContentEntry = Object.assign(new ContentEntry(), {
      id: randomUUID(),
      type,
      locale: dto.locale,
      slug: dto.slug,
      status: 'draft',
      version: 1,
      publishedVersion: null,
      publishAt: null,
      title: dto.title,
      summary: dto.summary ?? '',
      seoTitle: emptyToNull(dto.seoTitle),
      seoDescription: emptyToNull(dto.seoDescription),
      body: dto.body ?? '',
      fields,
      media,
      createdBy: author,
      updatedBy: author,
      publishedAt: null,
      createdAt: now,
      updatedAt: now,
    } satisfies ContentEntry);
    await this.slugSafe(entry.slug, () =>
      this.entries.transaction(async (m) => {
        await this.entries.insert(m, entry);
        await this.entries.addVersion(m, versionOf(entry, 'created', author, now));
      }),
    );
    return this.adminView(entry);
  }

  async update(type: ContentType, id: string, dto: UpdateEntryDto, author: string | null): Promise<AdminEntryView> {
    const fields = dto.fields === undefined ? undefined : await validateTypeFields(type, dto.fields);
    const media = dto.media === undefined ? undefined : await this.resolveMedia(dto.media);
    const saved = await this.slugSafe(dto.slug, () =>
      this.entries.transaction(async (m) => {
        const entry = await this.locked(m, type, id);
        if (dto.baseVersion !== undefined && dto.baseVersion !== entry.version) {
          throw new ConflictException(`This edit started from version ${dto.baseVersion}, but version ${entry.version} was saved since: reload and edit again`);
        }
        const next: EntryContent = {
          ...contentOf(entry),
          ...(dto.slug !== undefined && { slug: dto.slug }),
          ...(dto.title !== undefined && { title: dto.title }),
          ...(dto.summary !== undefined && { summary: dto.summary }),
          ...(dto.seoTitle !== undefined && { seoTitle: emptyToNull(dto.seoTitle) }),
          ...(dto.seoDescription !== undefined && { seoDescription: emptyToNull(dto.seoDescription) }),
          ...(dto.body !== undefined && { body: dto.body }),
          ...(fields !== undefined && { fields }),
          ...(media !== undefined && { media }),
        };
        if (same(next, entry)) return entry;
        return this.saveVersion(m, entry, next, 'edited', author);
      }),
    );
    return this.adminView(saved);
  }

  /** Publishes the latest version now, or schedules it for `at` (kept in the database, so a restart keeps it). */
  async publish(type: ContentType, id: string, at: string | undefined, author: string | null): Promise<AdminEntryView> {
    if (at !== undefined) {
      const when = new Date(at);
      if (Number.isNaN(when.getTime())) throw new BadRequestException('at must be an ISO 8601 date-time');
      if (when.getTime() <= Date.now()) throw new BadRequestException(`at must be in the future (it is ${when.toISOString()}; now is ${new Date().toISOString()}); omit it to publish now`);
      const entry = await this.entries.transaction(async (m) => {
        const entry = await this.locked(m, type, id);
        await this.entries.update(m, id, { publishAt: when, updatedBy: author });
        return Object.assign(entry, { publishAt: when });
      });
      this.logger.log(`${type} ${entry.locale}/${entry.slug} scheduled for ${when.toISOString()}`);
      return this.adminView(entry);
    }
    const entry = await this.entries.transaction(async (m) => this.publishLocked(m, await this.locked(m, type, id), 'now', author));
    await this.cache.invalidate();
    return this.adminView(entry);
  }

  /** Publishes every entry whose schedule came due; returns how many. */
  async publishDue(limit = 20): Promise<number> {
    const published = await this.entries.transaction(async (m) => {
      const due = await this.entries.lockDue(m, limit);
      for (const entry of due) {
        try {
          // A savepoint: one entry that cannot go live (its address taken) does not hold back the others.
          await m.query('SAVEPOINT due_entry');
          await this.publishLocked(m, entry, 'schedule', null);
          await m.query('RELEASE SAVEPOINT due_entry');
        } catch (error) {
          await m.query('ROLLBACK TO SAVEPOINT due_entry');
          await this.entries.update(m, entry.id, { publishAt: null });
          this.logger.error(`Scheduled publication of ${entry.type} ${entry.locale}/${entry.slug} failed and was cancelled: ${(error as Error).message}`);
        }
      }
      return due.length;
    });
    if (published > 0) await this.cache.invalidate();
    return published;
  }

  async unpublish(type: ContentType, id: string, author: string | null): Promise<AdminEntryView> {
    const entry = await this.entries.transaction(async (m) => {
      const entry = await this.locked(m, type, id);
      if (entry.status !== 'published' && entry.publishAt === null) throw new ConflictException(`This ${type} is neither published nor scheduled (it is ${entry.status})`);
      const changes: Partial<ContentEntry> = { publishAt: null, updatedBy: author };
      if (entry.status === 'published') Object.assign(changes, { status: 'draft', publishedVersion: null });
      await this.takeDown(m, entry, 'unpublished');
      await this.entries.update(m, id, changes);
      return Object.assign(entry, changes);
    });
    await this.cache.invalidate();
    return this.adminView(entry);
  }

  async archive(type: ContentType, id: string, author: string | null): Promise<AdminEntryView> {
    const entry = await this.entries.transaction(async (m) => {
      const entry = await this.locked(m, type, id);
      const changes: Partial<ContentEntry> = { status: 'archived', publishedVersion: null, publishAt: null, updatedBy: author };
      await this.takeDown(m, entry, 'archived');
      await this.entries.update(m, id, changes);
      return Object.assign(entry, changes);
    });
    await this.cache.invalidate();
    return this.adminView(entry);
  }

  async remove(type: ContentType, id: string): Promise<void> {
    await this.entries.transaction(async (m) => {
      const entry = await this.locked(m, type, id);
      await this.takeDown(m, entry, 'deleted');
      await this.entries.delete(m, id);
    });
    await this.cache.invalidate();
  }

  async restore(type: ContentType, id: string, version: number, author: string | null): Promise<AdminEntryView> {
    const entry = await this.slugSafe(undefined, () =>
      this.entries.transaction(async (m) => {
        const entry = await this.locked(m, type, id);
        const old = await this.entries.version(id, version, m);
        if (!old) throw new NotFoundException(`This ${type} has no version ${version} (its versions are 1 to ${entry.version})`);
        return this.saveVersion(m, entry, contentOf(old), `restored from version ${version}`, author);
      }),
    );
    return this.adminView(entry);
  }

  async show(type: ContentType, id: string): Promise<AdminEntryView> {
    return this.adminView(await this.found(type, id));
  }

  async list(type: ContentType, query: AdminListQuery): Promise<AdminEntryPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const { items, total } = await this.entries.search({ type, status: query.status, locale: query.locale, q: query.q, page, pageSize });
    return { items: items.map((entry) => this.adminView(entry)), page, pageSize, total };
  }

  async versions(type: ContentType, id: string): Promise<VersionSummaryView[]> {
    const entry = await this.found(type, id);
    return (await this.entries.versions(id)).map((v) => ({
      version: v.version,
      title: v.title,
      slug: v.slug,
      note: v.note,
      author: v.author,
      createdAt: v.createdAt.toISOString(),
      published: v.version === entry.publishedVersion,
    }));
  }

  async version(type: ContentType, id: string, version: number): Promise<VersionView> {
    const entry = await this.found(type, id);
    const v = await this.entries.version(id, version);
    if (!v) throw new NotFoundException(`This ${type} has no version ${version} (its versions are 1 to ${entry.version})`);
    return {
      id,
      type,
      locale: entry.locale,
      ...contentOf(v),
      html: this.renderer.render(v.body),
      version: v.version,
      note: v.note,
      author: v.author,
      createdAt: v.createdAt.toISOString(),
    };
  }

  adminView(entry: ContentEntry): AdminEntryView {
    return {
      id: entry.id,
      type: entry.type,
      locale: entry.locale,
      ...contentOf(entry),
      html: this.renderer.render(entry.body),
      status: entry.status,
      version: entry.version,
      publishedVersion: entry.publishedVersion,
      hasUnpublishedChanges: entry.publishedVersion !== null && entry.publishedVersion !== entry.version,
      scheduledAt: entry.publishAt?.toISOString() ?? null,
      publishedAt: entry.publishedAt?.toISOString() ?? null,
      createdAt: entry.createdAt.toISOString(),
      updatedAt: entry.updatedAt.toISOString(),
    };
  }

  /** Media references as stored: an uploaded file's URL and type filled in (400 naming an unknown one), plain JSON. */
  private async resolveMedia(refs: MediaRefDto[]): Promise<MediaRef[]> {
    const ids = [...new Set(refs.flatMap((ref) => (ref.mediaId ? [ref.mediaId.toLowerCase()] : [])))];
    const known = new Map((await this.mediaFiles.findMany(ids)).map((m) => [m.id, m]));
    const problems: { field: string; messages: string[] }[] = [];
    const resolved = refs.map((ref, index): MediaRef => {
      const optional = ref.caption === undefined ? {} : { caption: ref.caption };
      if (!ref.mediaId) return { url: ref.url!, alt: ref.alt, ...optional };
      if (ref.url !== undefined) problems.push({ field: `media.${index}`, messages: [`media.${index} must have a mediaId or a url, not both`] });
      const file = known.get(ref.mediaId.toLowerCase());
      if (!file) {
        problems.push({ field: `media.${index}.mediaId`, messages: [`media.${index}.mediaId ${ref.mediaId} is no uploaded file`] });
        return { url: '', alt: ref.alt };
      }
      return { mediaId: file.id, url: mediaUrl(file.id), contentType: file.contentType, alt: ref.alt, ...optional };
    });
    if (problems.length > 0) {
      throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: `Invalid input: ${problems.map((p) => p.messages.join('; ')).join('; ')}`, errors: problems });
    }
    return resolved;
  }

  // --- inside transactions ---------------------------------------------------------

  private async publishLocked(m: EntityManager, entry: ContentEntry, via: 'now' | 'schedule', author: string | null): Promise<ContentEntry> {
    if (await this.entries.publishedSlugTaken(m, entry, entry.slug)) {
      throw new ConflictException(`Another published ${entry.type} in ${entry.locale} is at /${entry.slug}: unpublish it or change this slug first`);
    }
    const now = new Date();
    const firstPublishedAt = entry.publishedAt ?? now;
    await this.entries.upsertPublished(m, {
      entryId: entry.id,
      type: entry.type,
      locale: entry.locale,
      version: entry.version,
      ...contentOf(entry),
      html: this.renderer.render(entry.body),
      publishedAt: firstPublishedAt,
      updatedAt: now,
    });
    const changes: Partial<ContentEntry> = { status: 'published', publishedVersion: entry.version, publishAt: null, publishedAt: firstPublishedAt, updatedBy: author ?? entry.updatedBy };
    await this.entries.update(m, entry.id, changes);
    await this.outbox.add(
      m,
      RoutingKey.ContentPublished,
      { entryId: entry.id, type: entry.type, locale: entry.locale, slug: entry.slug, version: entry.version, via, publishedAt: now.toISOString() },
      { correlationId: entry.id },
    );
    this.logger.log(`${entry.type} ${entry.locale}/${entry.slug} version ${entry.version} published (${via})`);
    return Object.assign(entry, changes);
  }

  /** Takes the entry off the website, announcing it when it was on it. */
  private async takeDown(m: EntityManager, entry: ContentEntry, reason: 'unpublished' | 'archived' | 'deleted'): Promise<void> {
    if (!(await this.entries.removePublished(m, entry.id))) return;
    await this.outbox.add(
      m,
      RoutingKey.ContentUnpublished,
      { entryId: entry.id, type: entry.type, locale: entry.locale, slug: entry.slug, reason, unpublishedAt: new Date().toISOString() },
      { correlationId: entry.id },
    );
    this.logger.log(`${entry.type} ${entry.locale}/${entry.slug} taken off the website (${reason})`);
  }

  private async saveVersion(m: EntityManager, entry: ContentEntry, next: EntryContent, note: string, author: string | null): Promise<ContentEntry> {
    const now = new Date();
    const saved = Object.assign(entry, next, { version: entry.version + 1, updatedBy: author, updatedAt: now });
    await this.entries.update(m, entry.id, { ...next, version: saved.version, updatedBy: author, updatedAt: now });
    await this.entries.addVersion(m, versionOf(saved, note, author, now));
    return saved;
  }

  private async locked(m: EntityManager, type: ContentType, id: string): Promise<ContentEntry> {
    const entry = await this.entries.lock(m, id);
    if (!entry || entry.type !== type) throw new NotFoundException(`No ${type} with id ${id}`);
    return entry;
  }

  private async found(type: ContentType, id: string): Promise<ContentEntry> {
    const entry = await this.entries.find(id);
    if (!entry || entry.type !== type) throw new NotFoundException(`No ${type} with id ${id}`);
    return entry;
  }

  /** A taken slug (unique per type and locale) is a 409 naming it, not a 500. */
  private async slugSafe<T>(slug: string | undefined, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictException(`The slug${slug ? ` "${slug}"` : ''} is already used by another entry of this type and locale`);
      }
      throw error;
    }
  }
}

function versionOf(entry: ContentEntry, note: string, author: string | null, at: Date): ContentVersion {
  return Object.assign(new ContentVersion(), { entryId: entry.id, version: entry.version, ...contentOf(entry), note, author, createdAt: at });
}

function emptyToNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}
