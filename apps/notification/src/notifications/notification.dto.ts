import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDate, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, IsUUID, Max, MaxLength, Min } from 'class-validator';
import { CONTACT_CHANNELS, ContactChannel, Locale, LOCALES } from '@statex/contracts';
import { NOTIFICATION_STATUSES, NotificationStatus } from './entities';

export class ListNotificationsQuery {
  @ApiPropertyOptional({ enum: NOTIFICATION_STATUSES })
  @IsOptional()
  @IsIn(NOTIFICATION_STATUSES, { message: `status must be one of: ${NOTIFICATION_STATUSES.join(', ')}` })
  status?: NotificationStatus;

  @ApiPropertyOptional({ enum: CONTACT_CHANNELS })
  @IsOptional()
  @IsIn(CONTACT_CHANNELS, { message: `channel must be one of: ${CONTACT_CHANNELS.join(', ')}` })
  channel?: ContactChannel;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) correlationId?: string;

  @ApiPropertyOptional({ description: 'true: only manual tasks pending past their SLA' })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'overdue must be true or false' })
  overdue?: 'true' | 'false';

  @ApiPropertyOptional({ default: 1 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) page?: number;
  @ApiPropertyOptional({ default: 20, maximum: 100 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(100) pageSize?: number;
}

export class CompleteTaskDto {
  @ApiProperty({ example: 'petra@statex.cz', description: 'Who sent the message' }) @IsString() @IsNotEmpty() @MaxLength(200) completedBy!: string;
  @ApiPropertyOptional({ description: 'When it was sent (ISO 8601); now if omitted' })
  @IsOptional()
  @Type(() => Date)
  @IsDate({ message: 'completedAt must be an ISO 8601 date' })
  completedAt?: Date;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) note?: string;
}

export class NotificationIdParam {
  @IsUUID('all', { message: 'id must be a UUID' }) id!: string;
}

export class AttemptView {
  @ApiProperty() at!: string;
  @ApiPropertyOptional({ enum: CONTACT_CHANNELS }) channel?: ContactChannel;
  @ApiPropertyOptional() recipient?: string;
  @ApiProperty({ enum: ['sent', 'failed', 'fallback'] }) outcome!: string;
  @ApiPropertyOptional() error?: string;
}

export class ManualTaskView {
  @ApiProperty() text!: string;
  @ApiProperty() profileUrl!: string;
  @ApiProperty() overdue!: boolean;
  @ApiPropertyOptional() completedBy?: string;
  @ApiPropertyOptional() completedAt?: string;
  @ApiPropertyOptional() note?: string;
}

export class NotificationView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) channel!: ContactChannel;
  @ApiProperty() recipient!: string;
  @ApiProperty() template!: string;
  @ApiProperty({ enum: LOCALES }) locale!: Locale;
  @ApiProperty({ enum: NOTIFICATION_STATUSES }) status!: NotificationStatus;
  @ApiPropertyOptional() correlationId?: string;
  @ApiProperty({ description: 'The channels tried in order', type: 'array', items: { type: 'object' } }) route!: { channel: ContactChannel; recipient: string }[];
  @ApiProperty({ type: [AttemptView] }) attempts!: AttemptView[];
  @ApiPropertyOptional() sentAt?: string;
  @ApiPropertyOptional() providerMessageId?: string;
  @ApiPropertyOptional() lastError?: string;
  @ApiPropertyOptional({ type: ManualTaskView }) manualTask?: ManualTaskView;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class NotificationPage {
  @ApiProperty({ type: [NotificationView] }) items!: NotificationView[];
  @ApiProperty() total!: number;
  @ApiProperty() page!: number;
  @ApiProperty() pageSize!: number;
}

export class NotificationAccepted {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: NOTIFICATION_STATUSES }) status!: NotificationStatus;
}
