import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsISO8601, IsString, IsUUID, Min } from 'class-validator';
import { Locale, LOCALES } from '../contact-channel';

/** The kinds of website content the content service keeps. */
export const CONTENT_TYPES = ['page', 'post', 'service', 'faq'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

/** `content.published`: an entry's version went live on the website (now, or at its scheduled time). */
export class ContentPublishedEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() entryId!: string;
  @ApiProperty({ enum: CONTENT_TYPES }) @IsIn(CONTENT_TYPES) type!: ContentType;
  @ApiProperty({ enum: LOCALES }) @IsIn(LOCALES) locale!: Locale;
  @ApiProperty() @IsString() slug!: string;
  @ApiProperty({ description: 'The version that is now live' }) @IsInt() @Min(1) version!: number;
  @ApiProperty({ enum: ['now', 'schedule'], description: 'Published by an editor, or by its schedule coming due' }) @IsIn(['now', 'schedule']) via!: 'now' | 'schedule';
  @ApiProperty() @IsISO8601() publishedAt!: string;
}

/** `content.unpublished`: an entry left the website (unpublished back to draft, archived or deleted). */
export class ContentUnpublishedEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() entryId!: string;
  @ApiProperty({ enum: CONTENT_TYPES }) @IsIn(CONTENT_TYPES) type!: ContentType;
  @ApiProperty({ enum: LOCALES }) @IsIn(LOCALES) locale!: Locale;
  @ApiProperty() @IsString() slug!: string;
  @ApiProperty({ enum: ['unpublished', 'archived', 'deleted'] }) @IsIn(['unpublished', 'archived', 'deleted']) reason!: 'unpublished' | 'archived' | 'deleted';
  @ApiProperty() @IsISO8601() unpublishedAt!: string;
}
