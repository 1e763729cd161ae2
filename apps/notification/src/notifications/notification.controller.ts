import { BadRequestException, Controller, Get, NotFoundException, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { NotificationRepository } from './notification.repository';

class NotificationAttemptDto {
  @ApiProperty() at!: string;
  @ApiProperty({ enum: ['sent', 'failed'] }) outcome!: string;
  @ApiPropertyOptional() error?: string;
}

class NotificationViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiPropertyOptional() correlationId?: string;
  @ApiProperty() channel!: string;
  @ApiProperty() recipient!: string;
  @ApiProperty() template!: string;
  @ApiProperty({ enum: ['queued', 'sending', 'sent', 'failed'] }) status!: string;
  @ApiPropertyOptional() sentAt?: string;
  @ApiPropertyOptional() providerMessageId?: string;
  @ApiProperty({ type: [NotificationAttemptDto] }) attempts!: NotificationAttemptDto[];
}

@ApiTags('notifications')
@Controller('notifications')
export class NotificationController {
  constructor(private readonly notifications: NotificationRepository) {}

  @Get(':id')
  @ApiOperation({ summary: 'A notification: its status, provider message id and every delivery attempt' })
  @ApiOkResponse({ type: NotificationViewDto })
  @ApiNotFoundResponse({ description: 'No notification has this id' })
  async get(@Param('id', new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('id must be a UUID') })) id: string): Promise<NotificationViewDto> {
    const n = await this.notifications.findById(id);
    if (!n) throw new NotFoundException(`Notification ${id} not found`);
    const attempts = await this.notifications.attemptsOf(id);
    return {
      id: n.id,
      correlationId: n.correlationId ?? undefined,
      channel: n.channel,
      recipient: n.recipient,
      template: n.template,
      status: n.status,
      sentAt: n.sentAt?.toISOString(),
      providerMessageId: n.providerMessageId ?? undefined,
      attempts: attempts.map((a) => ({ at: a.at.toISOString(), outcome: a.outcome, error: a.error ?? undefined })),
    };
  }
}
