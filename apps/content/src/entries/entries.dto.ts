import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { CONTENT_TYPES, ContentType, Locale, LOCALES } from '@statex/contracts';
import { CONTENT_STATUSES, ContentStatus } from './entities';

const trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));
/** May be left out, but not sent as null (the column has no null). */
const Omittable = () => ValidateIf((_object, value) => value !== undefined);
const MAX_INT = 2_147_483_647;

export const SLUG_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const Slug = () => Matches(SLUG_PATTERN, { message: 'slug must be lowercase letters and digits separated by single hyphens, e.g. web-development' });

/** An uploaded file (`mediaId`) or a file elsewhere (`url`), with its alternative text. */
export class MediaRefDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'An uploaded file (POST /api/content/media)' })
  @Omittable()
  @IsUUID('all', { message: 'media mediaId must be a UUID' })
  mediaId?: string;

  @ApiPropertyOptional({ description: 'A file elsewhere (http or https), when there is no mediaId' })
  @ValidateIf((ref: MediaRefDto) => ref.mediaId === undefined || ref.url !== undefined)
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false }, { message: 'media url must be an http(s) URL (or give a mediaId instead)' })
  @MaxLength(2000)
  url?: string;

  @ApiProperty({ description: 'Alternative text (empty for a decorative picture)' }) @IsString() @MaxLength(300) alt!: string;
  @ApiPropertyOptional() @Omittable() @IsString() @MaxLength(500) caption?: string;
}

export class MediaRefView {
  @ApiPropertyOptional({ format: 'uuid' }) mediaId?: string;
  @ApiProperty({ description: 'An uploaded file’s /api/content/media/{id}, or the URL given' }) url!: string;
  @ApiPropertyOptional() contentType?: string;
  @ApiProperty() alt!: string;
  @ApiPropertyOptional() caption?: string;
}

/** The fields an editor writes, common to every type; `fields` is checked against the type's own schema. */
class EntryWriteDto {
  @ApiPropertyOptional({ description: 'Short description for lists and cards' }) @Omittable() @IsString() @MaxLength(1000) summary?: string;
  @ApiPropertyOptional({ description: 'The <title> of the page (the title when empty)' }) @IsOptional() @trim() @IsString() @MaxLength(70) seoTitle?: string | null;
  @ApiPropertyOptional({ description: 'The meta description (the summary when empty)' }) @IsOptional() @trim() @IsString() @MaxLength(200) seoDescription?: string | null;
  @ApiPropertyOptional({ description: 'Markdown; served beside it as sanitised HTML' }) @Omittable() @IsString() @MaxLength(200_000) body?: string;

  @ApiPropertyOptional({ description: 'The type’s own fields (see the schemas of page, post, service and faq)', type: 'object', additionalProperties: true })
  @Omittable()
  @IsObject()
  fields?: Record<string, unknown>;

  @ApiPropertyOptional({ type: [MediaRefDto] })
  @Omittable()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => MediaRefDto)
  media?: MediaRefDto[];
}

export class CreateEntryDto extends EntryWriteDto {
  @ApiProperty({ example: 'web-development' }) @trim() @Slug() @MaxLength(120) slug!: string;
  @ApiProperty({ enum: LOCALES }) @IsIn(LOCALES, { message: `locale must be one of: ${LOCALES.join(', ')}` }) locale!: Locale;
  @ApiProperty() @trim() @IsString() @IsNotEmpty() @MaxLength(200) title!: string;
}

export class UpdateEntryDto extends EntryWriteDto {
  @ApiPropertyOptional() @Omittable() @trim() @Slug() @MaxLength(120) slug?: string;
  @ApiPropertyOptional() @Omittable() @trim() @IsString() @IsNotEmpty() @MaxLength(200) title?: string;

  @ApiPropertyOptional({ description: 'The version the edit started from: 409 if someone saved a newer one meanwhile' })
  @Omittable()
  @IsInt()
  @Min(1)
  @Max(MAX_INT)
  baseVersion?: number;
}

export class PublishDto {
  @ApiPropertyOptional({ description: 'Publish at this future moment (ISO 8601) instead of now' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'at must be an ISO 8601 date-time, e.g. 2026-12-01T09:00:00Z' })
  at?: string;
}

export class ContentTypeParam {
  @ApiProperty({ enum: CONTENT_TYPES })
  @IsIn(CONTENT_TYPES, { message: `type must be one of: ${CONTENT_TYPES.join(', ')}` }) type!: ContentType;
}

export class EntryParams extends ContentTypeParam {
  @ApiProperty({ format: 'uuid' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'id must be a UUID' }) id!: string;
}

export class VersionParams extends EntryParams {
  @ApiProperty({ type: 'integer', minimum: 1 }) @Type(() => Number) @IsInt({ message: 'version must be a whole number' }) @Min(1) @Max(MAX_INT) version!: number;
}

export class SlugParams extends ContentTypeParam {
  @ApiProperty({ example: 'website' }) @MaxLength(120) @Slug() slug!: string;
}

export class AdminListQuery {
  @ApiPropertyOptional({ enum: CONTENT_STATUSES }) @IsOptional() @IsIn(CONTENT_STATUSES, { message: `status must be one of: ${CONTENT_STATUSES.join(', ')}` }) status?: ContentStatus;
  @ApiPropertyOptional({ enum: LOCALES }) @IsOptional() @IsIn(LOCALES, { message: `locale must be one of: ${LOCALES.join(', ')}` }) locale?: Locale;
  @ApiPropertyOptional({ description: 'Part of the title or slug' }) @IsOptional() @IsString() @MaxLength(200) q?: string;
  @ApiPropertyOptional({ default: 1 }) @IsOptional() @Type(() => Number) @IsInt({ message: 'page must be a whole number' }) @Min(1) @Max(10_000) page?: number;
  @ApiPropertyOptional({ default: 20 }) @IsOptional() @Type(() => Number) @IsInt({ message: 'pageSize must be a whole number' }) @Min(1) @Max(100) pageSize?: number;
}

export class PublicListQuery {
  @ApiPropertyOptional({ enum: LOCALES, default: 'en', description: 'Entries in this language, or in English where no translation exists' })
  @IsOptional()
  @IsIn(LOCALES, { message: `locale must be one of: ${LOCALES.join(', ')}` })
  locale?: Locale;

  @ApiPropertyOptional({ default: 1 }) @IsOptional() @Type(() => Number) @IsInt({ message: 'page must be a whole number' }) @Min(1) @Max(10_000) page?: number;
  @ApiPropertyOptional({ description: 'Default CONTENT_PAGE_SIZE' }) @IsOptional() @Type(() => Number) @IsInt({ message: 'pageSize must be a whole number' }) @Min(1) @Max(100) pageSize?: number;
}

export class PublicEntryQuery {
  @ApiPropertyOptional({ enum: LOCALES, default: 'en' }) @IsOptional() @IsIn(LOCALES, { message: `locale must be one of: ${LOCALES.join(', ')}` }) locale?: Locale;
}

export class SearchQuery extends PublicListQuery {
  @ApiProperty({ description: 'Words to find (web-search syntax: "exact phrase", -excluded, or)' }) @trim() @IsString() @IsNotEmpty({ message: 'q must not be empty' }) @MaxLength(200) q!: string;
  @ApiPropertyOptional({ enum: CONTENT_TYPES }) @IsOptional() @IsIn(CONTENT_TYPES, { message: `type must be one of: ${CONTENT_TYPES.join(', ')}` }) type?: ContentType;
}

// --- views -------------------------------------------------------------------------

export class EntryView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: CONTENT_TYPES }) type!: ContentType;
  @ApiProperty() slug!: string;
  @ApiProperty({ enum: LOCALES }) locale!: Locale;
  @ApiProperty() title!: string;
  @ApiProperty() summary!: string;
  @ApiProperty({ nullable: true, type: String }) seoTitle!: string | null;
  @ApiProperty({ nullable: true, type: String }) seoDescription!: string | null;
  @ApiProperty({ description: 'Markdown' }) body!: string;
  @ApiProperty({ description: 'The body as sanitised HTML' }) html!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) fields!: Record<string, unknown>;
  @ApiProperty({ type: [MediaRefView] }) media!: MediaRefView[];
}

/** An entry as editors see it: its latest version and its workflow state. */
export class AdminEntryView extends EntryView {
  @ApiProperty({ enum: CONTENT_STATUSES }) status!: ContentStatus;
  @ApiProperty({ description: 'The latest version' }) version!: number;
  @ApiProperty({ nullable: true, type: Number, description: 'The version the website shows' }) publishedVersion!: number | null;
  @ApiProperty({ description: 'Saved since it was published: the website still shows publishedVersion' }) hasUnpublishedChanges!: boolean;
  @ApiProperty({ nullable: true, type: String, description: 'When a scheduled publication will happen' }) scheduledAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) publishedAt!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class AdminEntryPage {
  @ApiProperty({ type: [AdminEntryView] }) items!: AdminEntryView[];
  @ApiProperty() page!: number;
  @ApiProperty() pageSize!: number;
  @ApiProperty() total!: number;
}

export class VersionSummaryView {
  @ApiProperty() version!: number;
  @ApiProperty() title!: string;
  @ApiProperty() slug!: string;
  @ApiProperty({ description: 'created, edited, or restored from version N' }) note!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Who saved it (their user id)' }) author!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ description: 'The version the website shows' }) published!: boolean;
}

export class VersionView extends EntryView {
  @ApiProperty() version!: number;
  @ApiProperty() note!: string;
  @ApiProperty({ nullable: true, type: String }) author!: string | null;
  @ApiProperty() createdAt!: string;
}

/** An entry as the website gets it. */
export class PublicEntryView extends EntryView {
  @ApiProperty({ description: 'The published version' }) version!: number;
  @ApiProperty() publishedAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ enum: LOCALES, description: 'The language asked for; differs from locale when the entry fell back to English' }) requestedLocale!: Locale;
  @ApiProperty({ description: 'No translation in requestedLocale: this is the English entry' }) fallback!: boolean;
  @ApiProperty({ enum: LOCALES, isArray: true, description: 'The languages this entry is published in (for hreflang links)' }) locales!: Locale[];
}

export class PublicEntryPage {
  @ApiProperty({ type: [PublicEntryView] }) items!: PublicEntryView[];
  @ApiProperty() page!: number;
  @ApiProperty() pageSize!: number;
  @ApiProperty() total!: number;
}
