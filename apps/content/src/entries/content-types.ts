import { BadRequestException } from '@nestjs/common';
import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsIn, IsInt, IsNotEmpty, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf, validate } from 'class-validator';
import type { ContentType } from '@statex/contracts';
import { fieldProblems } from '@statex/runtime';

/**
 * The fields of each content type beyond the common ones (slug, locale, title, summary, SEO,
 * body, media): one class per type, validated on every write. An entry keeps them in `fields`.
 */
export class PageFields {
  @ApiPropertyOptional({ enum: ['default', 'home', 'landing'], description: 'Which layout the website renders the page with' })
  @IsOptional()
  @IsIn(['default', 'home', 'landing'])
  template?: 'default' | 'home' | 'landing';

  @ApiPropertyOptional({ description: 'Shown in the navigation with this label' }) @IsOptional() @IsString() @IsNotEmpty() @MaxLength(60) navLabel?: string;
  @ApiPropertyOptional({ description: 'Place in the navigation and in lists (lowest first)' }) @IsOptional() @IsInt() @Min(0) @Max(10_000) order?: number;
}

export class PostFields {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(120) author?: string;

  @ApiPropertyOptional({ type: [String], description: 'Lowercase tags, e.g. ai, case-study' })
  @IsOptional()
  @ArrayMaxSize(20)
  @Matches(/^[a-z0-9]+(-[a-z0-9]+)*$/, { each: true, message: 'each tag must be lowercase letters and digits separated by single hyphens' })
  @MaxLength(40, { each: true })
  tags?: string[];

  @ApiPropertyOptional({ description: 'Shown first in lists' }) @IsOptional() @IsBoolean() featured?: boolean;
}

export const CURRENCIES = ['CZK', 'EUR', 'USD'] as const;

export class ServiceFields {
  @ApiProperty({ description: 'The category the AI analysis assigns to leads for this service (website, e-commerce, …)' })
  @Matches(/^[a-z0-9]+(-[a-z0-9]+)*$/, { message: 'category must be a lowercase name such as website or e-commerce' })
  @MaxLength(60)
  category!: string;

  @ApiPropertyOptional({ description: 'Starting price, in `currency`' }) @IsOptional() @IsNumber({ maxDecimalPlaces: 2 }) @Min(0) @Max(100_000_000) priceFrom?: number;

  @ApiPropertyOptional({ enum: CURRENCIES, description: 'Required with priceFrom' })
  @ValidateIf((fields: ServiceFields) => fields.priceFrom !== undefined || fields.currency !== undefined)
  @IsIn(CURRENCIES, { message: `currency must be one of: ${CURRENCIES.join(', ')} (required with priceFrom)` })
  currency?: (typeof CURRENCIES)[number];

  @ApiPropertyOptional({ description: 'Typical delivery time, e.g. "4–8 weeks"' }) @IsOptional() @IsString() @IsNotEmpty() @MaxLength(60) duration?: string;

  @ApiPropertyOptional({ type: [String], description: 'What the service includes, one line each' })
  @IsOptional()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  @MaxLength(200, { each: true })
  features?: string[];

  @ApiPropertyOptional({ description: 'Place in lists (lowest first)' }) @IsOptional() @IsInt() @Min(0) @Max(10_000) order?: number;
}

/** A question and its answer: the title is the question, the body the answer. */
export class FaqFields {
  @ApiPropertyOptional({ description: 'Groups questions on the FAQ page, e.g. pricing' }) @IsOptional() @IsString() @IsNotEmpty() @MaxLength(60) group?: string;
  @ApiPropertyOptional({ description: 'Place in lists (lowest first)' }) @IsOptional() @IsInt() @Min(0) @Max(10_000) order?: number;
}

export const CONTENT_TYPE_FIELDS: Record<ContentType, new () => object> = {
  page: PageFields,
  post: PostFields,
  service: ServiceFields,
  faq: FaqFields,
};

/** Checks `fields` against the type's schema: 400 naming each bad field (`fields.category`), unknown ones included. */
export async function validateTypeFields(type: ContentType, fields: unknown): Promise<Record<string, unknown>> {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: 'Invalid input: fields must be an object', errors: [{ field: 'fields', messages: ['fields must be an object'] }] });
  }
  const instance = plainToInstance(CONTENT_TYPE_FIELDS[type], fields);
  const errors = await validate(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length > 0) {
    const problems = fieldProblems(errors, 'fields').map((p) => ({ field: p.field, messages: p.messages.map((m) => `fields.${m.startsWith('property ') ? m.slice('property '.length) : m}`) }));
    throw new BadRequestException({
      statusCode: 400,
      error: 'Bad Request',
      message: `Invalid ${type} fields: ${problems.map((p) => p.messages.join('; ')).join('; ')}`,
      errors: problems,
    });
  }
  // Only the schema's fields, as the client typed them (no class instance in jsonb).
  return JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
}
