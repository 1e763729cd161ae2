import { Injectable, NotFoundException } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ContentType, Locale } from '@statex/contracts';
import type { MediaRef } from '../entries/entities';
import type { PublicEntryPage, PublicEntryView } from '../entries/entries.dto';
import { answerOf, CachedAnswer, ContentCache } from './content-cache';

/** Where a translation is missing, the website shows the entry in this language. */
export const DEFAULT_LOCALE: Locale = 'en';

/** PostgreSQL's text-search configuration per locale (it has no Czech stemmer: `simple`). */
const SEARCH_CONFIG: Record<Locale, string> = { en: 'english', cs: 'simple' };

interface PublishedRow {
  entry_id: string;
  type: ContentType;
  locale: Locale;
  slug: string;
  version: number;
  title: string;
  summary: string;
  seo_title: string | null;
  seo_description: string | null;
  body: string;
  html: string;
  fields: Record<string, unknown>;
  media: MediaRef[];
  published_at: Date;
  updated_at: Date;
  locales: Locale[];
  total?: string;
  rank?: number;
}

const COLUMNS = `p.entry_id, p.type, p.locale, p.slug, p.version, p.title, p.summary, p.seo_title, p.seo_description, p.body, p.html, p.fields, p.media,
  p.published_at, p.updated_at,
  ARRAY(SELECT t.locale FROM content_published t WHERE t.type = p.type AND t.slug = p.slug ORDER BY t.locale) AS locales`;

/** Lists put ordered entries (services, FAQ, pages) first, then featured posts, then the newest. */
const LIST_ORDER = `(fields->>'order')::int ASC NULLS LAST, (fields->>'featured')::boolean DESC NULLS LAST, published_at DESC, slug ASC`;

/**
 * What the website reads: published copies only (drafts live in another table), in the asked
 * language or else in English, each answer cached in Redis with its ETag.
 */
@Injectable()
export class PublicContentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: ContentCache,
  ) {}

  entry(type: ContentType, slug: string, locale: Locale): Promise<CachedAnswer> {
    return this.cached(`entry:${type}:${locale}:${slug}`, async () => {
      const rows: PublishedRow[] = await this.dataSource.query(
        `SELECT ${COLUMNS} FROM content_published p WHERE p.type = $1 AND p.slug = $2 AND p.locale IN ($3, $4)
         ORDER BY (p.locale = $3) DESC LIMIT 1`,
        [type, slug, locale, DEFAULT_LOCALE],
      );
      if (rows.length === 0) throw new NotFoundException(`No published ${type} "${slug}" in ${locale}${locale === DEFAULT_LOCALE ? '' : ` or ${DEFAULT_LOCALE}`}`);
      return publicView(rows[0], locale);
    });
  }

  list(type: ContentType, locale: Locale, page: number, pageSize: number): Promise<CachedAnswer> {
    return this.cached(`list:${type}:${locale}:${page}:${pageSize}`, async () => {
      // One entry per slug: the translation when there is one, else the English entry.
      const rows: PublishedRow[] = await this.dataSource.query(
        `SELECT *, count(*) OVER () AS total FROM (
           SELECT DISTINCT ON (p.slug) ${COLUMNS} FROM content_published p
           WHERE p.type = $1 AND p.locale IN ($2, $3)
           ORDER BY p.slug, (p.locale = $2) DESC
         ) chosen
         ORDER BY ${LIST_ORDER} LIMIT $4 OFFSET $5`,
        [type, locale, DEFAULT_LOCALE, pageSize, (page - 1) * pageSize],
      );
      const total = rows.length > 0 ? Number(rows[0].total) : await this.countList(type, locale);
      return { items: rows.map((row) => publicView(row, locale)), page, pageSize, total } satisfies PublicEntryPage;
    });
  }

  /**
   * Full-text search over the published entries of one language, best match first. The words
   * match as typed (web-search syntax) or as the beginnings of words, which Czech needs without
   * a stemmer (faktur finds fakturu, e-shop finds e-shopy).
   */
  search(q: string, locale: Locale, type: ContentType | undefined, page: number, pageSize: number): Promise<CachedAnswer> {
    return this.cached(`search:${locale}:${type ?? '*'}:${page}:${pageSize}:${q}`, async () => {
      // Letters and digits only, so the prefix query cannot carry tsquery syntax.
      const words = (q.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 10);
      const prefixes = words.map((word) => `${word}:*`).join(' & ');
      const rows: PublishedRow[] = await this.dataSource.query(
        `SELECT ${COLUMNS}, ts_rank(p.search, query) AS rank, count(*) OVER () AS total
         FROM content_published p,
              (SELECT CASE WHEN $3 = '' THEN websearch_to_tsquery($1::regconfig, $2)
                           ELSE websearch_to_tsquery($1::regconfig, $2) || to_tsquery($1::regconfig, $3) END AS query) q
         WHERE p.locale = $4 AND p.search @@ query AND ($5::text IS NULL OR p.type = $5)
         ORDER BY rank DESC, p.published_at DESC, p.slug LIMIT $6 OFFSET $7`,
        [SEARCH_CONFIG[locale], q, prefixes, locale, type ?? null, pageSize, (page - 1) * pageSize],
      );
      return { q, items: rows.map((row) => publicView(row, locale)), page, pageSize, total: rows.length > 0 ? Number(rows[0].total) : 0 };
    });
  }

  private async countList(type: ContentType, locale: Locale): Promise<number> {
    const [row]: { total: string }[] = await this.dataSource.query(
      `SELECT count(DISTINCT slug) AS total FROM content_published WHERE type = $1 AND locale IN ($2, $3)`,
      [type, locale, DEFAULT_LOCALE],
    );
    return Number(row.total);
  }

  private async cached(path: string, compute: () => Promise<unknown>): Promise<CachedAnswer> {
    const { hit, generation } = await this.cache.lookup(path);
    if (hit) return hit;
    const answer = answerOf(await compute());
    await this.cache.store(path, generation, answer);
    return answer;
  }
}

function publicView(row: PublishedRow, requested: Locale): PublicEntryView {
  return {
    id: row.entry_id,
    type: row.type,
    slug: row.slug,
    locale: row.locale,
    requestedLocale: requested,
    fallback: row.locale !== requested,
    locales: row.locales,
    title: row.title,
    summary: row.summary,
    seoTitle: row.seo_title ?? row.title,
    seoDescription: row.seo_description ?? (row.summary || null),
    body: row.body,
    html: row.html,
    fields: row.fields,
    media: row.media,
    version: row.version,
    publishedAt: new Date(row.published_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
