import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ContentType, Locale } from '@statex/contracts';

export const CONTENT_STATUSES = ['draft', 'published', 'archived'] as const;
export type ContentStatus = (typeof CONTENT_STATUSES)[number];

/**
 * A picture or document an entry shows, with its alternative text: an uploaded file (`mediaId`,
 * its `url` and `contentType` filled in on save) or a file elsewhere (an http or https `url`).
 */
export interface MediaRef {
  mediaId?: string;
  url: string;
  contentType?: string;
  alt: string;
  caption?: string;
}

/** What every version of an entry holds (the fields an editor writes). */
export interface EntryContent {
  slug: string;
  title: string;
  summary: string;
  seoTitle: string | null;
  seoDescription: string | null;
  body: string;
  fields: Record<string, unknown>;
  media: MediaRef[];
}

/** The working copy of an entry: its latest version and where it is in the workflow. */
@Entity({ name: 'content_entries' })
export class ContentEntry implements EntryContent {
  @PrimaryColumn('uuid') id!: string;
  @Column({ type: 'text' }) type!: ContentType;
  @Column({ type: 'text' }) locale!: Locale;
  @Column({ type: 'text' }) slug!: string;
  @Column({ type: 'text' }) status!: ContentStatus;
  /** The latest version (every save adds one). */
  @Column({ type: 'int' }) version!: number;
  /** The version the website shows, while published. */
  @Column({ name: 'published_version', type: 'int', nullable: true }) publishedVersion!: number | null;
  /** A scheduled publication, kept here so that it survives restarts. */
  @Column({ name: 'publish_at', type: 'timestamptz', nullable: true }) publishAt!: Date | null;
  @Column({ type: 'text' }) title!: string;
  @Column({ type: 'text' }) summary!: string;
  @Column({ name: 'seo_title', type: 'text', nullable: true }) seoTitle!: string | null;
  @Column({ name: 'seo_description', type: 'text', nullable: true }) seoDescription!: string | null;
  @Column({ type: 'text' }) body!: string;
  @Column({ type: 'jsonb' }) fields!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) media!: MediaRef[];
  @Column({ name: 'created_by', type: 'text', nullable: true }) createdBy!: string | null;
  @Column({ name: 'updated_by', type: 'text', nullable: true }) updatedBy!: string | null;
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true }) publishedAt!: Date | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** One save of an entry, never changed afterwards. */
@Entity({ name: 'content_versions' })
export class ContentVersion implements EntryContent {
  @PrimaryColumn({ name: 'entry_id', type: 'uuid' }) entryId!: string;
  @PrimaryColumn({ type: 'int' }) version!: number;
  @Column({ type: 'text' }) slug!: string;
  @Column({ type: 'text' }) title!: string;
  @Column({ type: 'text' }) summary!: string;
  @Column({ name: 'seo_title', type: 'text', nullable: true }) seoTitle!: string | null;
  @Column({ name: 'seo_description', type: 'text', nullable: true }) seoDescription!: string | null;
  @Column({ type: 'text' }) body!: string;
  @Column({ type: 'jsonb' }) fields!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) media!: MediaRef[];
  /** created, edited, restored from version N. */
  @Column({ type: 'text' }) note!: string;
  @Column({ type: 'text', nullable: true }) author!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** What the website shows of a published entry: its published version, rendered. */
@Entity({ name: 'content_published' })
export class PublishedEntry implements EntryContent {
  @PrimaryColumn({ name: 'entry_id', type: 'uuid' }) entryId!: string;
  @Column({ type: 'text' }) type!: ContentType;
  @Column({ type: 'text' }) locale!: Locale;
  @Column({ type: 'text' }) slug!: string;
  @Column({ type: 'int' }) version!: number;
  @Column({ type: 'text' }) title!: string;
  @Column({ type: 'text' }) summary!: string;
  @Column({ name: 'seo_title', type: 'text', nullable: true }) seoTitle!: string | null;
  @Column({ name: 'seo_description', type: 'text', nullable: true }) seoDescription!: string | null;
  @Column({ type: 'text' }) body!: string;
  @Column({ type: 'text' }) html!: string;
  @Column({ type: 'jsonb' }) fields!: Record<string, unknown>;
  @Column({ type: 'jsonb' }) media!: MediaRef[];
  @Column({ name: 'published_at', type: 'timestamptz' }) publishedAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

export const CONTENT_ENTITIES = [ContentEntry, ContentVersion, PublishedEntry];
