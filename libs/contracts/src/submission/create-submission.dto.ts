import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, ValidateIf } from 'class-validator';
import { CONTACT_CHANNELS, ContactChannel, Locale, LOCALES, RECIPIENT_FORMATS } from '../contact-channel';
import { SingleLine } from '../single-line';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** The contact form. Sent as JSON or as multipart/form-data (files in `attachments`). */
export class CreateSubmissionDto {
  @ApiProperty({ example: 'Jana Nováková', maxLength: 200 })
  @Transform(trim)
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @SingleLine()
  name!: string;

  @ApiProperty({ example: 'jana@example.com' })
  @Transform(trim)
  @IsEmail({}, { message: 'email must be a valid email address' })
  @Matches(RECIPIENT_FORMATS.email.pattern, { message: 'email must be a valid email address' })
  @MaxLength(320)
  email!: string;

  @ApiPropertyOptional({ example: '+420601123456', description: 'Required when contactChannel is whatsapp (E.164).' })
  @Transform(trim)
  @ValidateIf((o: CreateSubmissionDto) => o.phone !== undefined || o.contactChannel === 'whatsapp')
  @Matches(RECIPIENT_FORMATS.whatsapp.pattern, { message: 'phone must be in E.164 format, e.g. +420601123456' })
  phone?: string;

  @ApiPropertyOptional({ example: 'Acme s.r.o.', maxLength: 200 })
  @Transform(trim)
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @SingleLine()
  company?: string;

  @ApiProperty({ example: 'We need a new e-shop with payment integration.', maxLength: 10000 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(10000)
  message!: string;

  @ApiPropertyOptional({ enum: CONTACT_CHANNELS, default: 'email' })
  @IsOptional()
  @IsIn(CONTACT_CHANNELS, { message: `contactChannel must be one of: ${CONTACT_CHANNELS.join(', ')}` })
  contactChannel?: ContactChannel;

  @ApiPropertyOptional({ example: '123456789', description: 'Required when contactChannel is telegram.' })
  @Transform(trim)
  @ValidateIf((o: CreateSubmissionDto) => o.telegramChatId !== undefined || o.contactChannel === 'telegram')
  @Matches(/^-?\d{1,20}$/, { message: 'telegramChatId must be a numeric Telegram chat id' })
  telegramChatId?: string;

  @ApiPropertyOptional({ example: 'https://www.linkedin.com/in/jana', description: 'Required when contactChannel is linkedin.' })
  @Transform(trim)
  @ValidateIf((o: CreateSubmissionDto) => o.linkedinUrl !== undefined || o.contactChannel === 'linkedin')
  @MaxLength(500)
  @Matches(RECIPIENT_FORMATS.linkedin.pattern, { message: `linkedinUrl must be ${RECIPIENT_FORMATS.linkedin.description}` })
  linkedinUrl?: string;

  @ApiPropertyOptional({ enum: LOCALES, default: 'en', description: 'Language of the messages the lead receives' })
  @IsOptional()
  @IsIn(LOCALES, { message: `locale must be one of: ${LOCALES.join(', ')}` })
  locale?: Locale;
}
