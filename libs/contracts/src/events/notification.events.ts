import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID } from 'class-validator';
import { CONTACT_CHANNELS, ContactChannel } from '../contact-channel';

class NotificationEventBase {
  @ApiProperty({ format: 'uuid' }) @IsUUID() notificationId!: string;
  /** The journey this notification belongs to (the submission id for a lead). */
  @ApiPropertyOptional() @IsOptional() @IsString() correlationId?: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) @IsIn(CONTACT_CHANNELS) channel!: ContactChannel;
  @ApiProperty() @IsString() template!: string;
  @ApiProperty() @IsString() recipient!: string;
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
