import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEmail, IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Min, ValidateNested } from 'class-validator';
import { CONTACT_CHANNELS, ContactChannel, Locale, LOCALES } from '../contact-channel';

export class AttachmentRef {
  @ApiProperty({ format: 'uuid' }) @IsUUID() id!: string;
  @ApiProperty() @IsString() fileName!: string;
  @ApiProperty() @IsString() contentType!: string;
  @ApiProperty() @IsInt() @Min(0) size!: number;
}

/** `request.created`: a contact-form submission was stored. Correlation id: the submission id. */
export class RequestCreatedEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() submissionId!: string;
  @ApiProperty() @IsString() name!: string;
  @ApiProperty() @IsEmail() email!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() phone?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() company?: string;
  @ApiProperty() @IsString() message!: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) @IsIn(CONTACT_CHANNELS) contactChannel!: ContactChannel;
  @ApiPropertyOptional() @IsOptional() @IsString() telegramChatId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() linkedinUrl?: string;
  @ApiProperty({ type: [AttachmentRef] })
  @ValidateNested({ each: true })
  @Type(() => AttachmentRef)
  attachments!: AttachmentRef[];
  @ApiPropertyOptional({ enum: LOCALES }) @IsOptional() @IsIn(LOCALES) locale?: Locale;
  /** Where the lead can follow the request. */
  @ApiPropertyOptional() @IsOptional() @IsString() statusUrl?: string;
  @ApiProperty() @IsISO8601() createdAt!: string;
}
