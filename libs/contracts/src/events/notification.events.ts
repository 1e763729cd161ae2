import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsISO8601, IsNotEmpty, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { CONTACT_CHANNELS, ContactChannel, Locale, LOCALES } from '../contact-channel';

export class NotificationEventBase {
  @ApiProperty({ format: 'uuid' }) @IsUUID() notificationId!: string;
  /** The journey this notification belongs to (the submission id for a lead). */
  @ApiPropertyOptional() @IsOptional() @IsString() correlationId?: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) @IsIn(CONTACT_CHANNELS) channel!: ContactChannel;
  @ApiProperty() @IsString() template!: string;
  @ApiProperty() @IsString() recipient!: string;
  /**
   * True only for the lead journey's own messages (the acknowledgement and the results that the
   * journey itself asked for). Only these move a submission's status: a notification requested
   * over the API or by another event never does, whatever its template or correlation id.
   */
  @ApiPropertyOptional() @IsOptional() @IsBoolean() journey?: boolean;
}

/** `notification.sent`: a notification reached its provider. */
export class NotificationSentEvent extends NotificationEventBase {
  @ApiPropertyOptional() @IsOptional() @IsString() providerMessageId?: string;
  @ApiProperty() @IsISO8601() sentAt!: string;
}

/** `notification.failed`: a notification could not be delivered after its retries. */
export class NotificationFailedEvent extends NotificationEventBase {
  @ApiProperty() @IsString() reason!: string;
  @ApiProperty() @IsISO8601() failedAt!: string;
}

/** `notification.manual_pending`: a notification became a task for an operator (LinkedIn). */
export class NotificationManualPendingEvent extends NotificationEventBase {
  @ApiProperty() @IsString() text!: string;
  @ApiProperty() @IsISO8601() createdAt!: string;
}

/**
 * `notification.requested`, and the body of `POST /api/notifications`: any service asks for a
 * message to a recipient. `recipient` is an email address, a Telegram chat id, a phone number
 * in E.164 or a LinkedIn profile URL, according to `channel`.
 */
export class NotificationRequestedEvent {
  @ApiProperty({ enum: CONTACT_CHANNELS }) @IsIn(CONTACT_CHANNELS, { message: `channel must be one of: ${CONTACT_CHANNELS.join(', ')}` }) channel!: ContactChannel;
  @ApiProperty({ example: 'jana@example.com' }) @IsString() @IsNotEmpty() @MaxLength(320) recipient!: string;
  @ApiProperty({ example: 'acknowledgement' }) @IsString() @IsNotEmpty() @MaxLength(100) template!: string;
  @ApiPropertyOptional({ enum: LOCALES, default: 'en' }) @IsOptional() @IsIn(LOCALES, { message: `locale must be one of: ${LOCALES.join(', ')}` }) locale?: Locale;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { name: 'Jana', requestId: '…' } }) @IsObject() data!: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'A repeated request with the same key creates nothing new' }) @IsOptional() @IsString() @MaxLength(200) idempotencyKey?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) correlationId?: string;
}
