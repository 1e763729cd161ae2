import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@statex/auth';
import { NotificationRequestedEvent, STAFF_ROLES } from '@statex/contracts';
import { CompleteTaskDto, ListNotificationsQuery, NotificationAccepted, NotificationIdParam, NotificationPage, NotificationView } from './notification.dto';
import { NotificationService } from './notification.service';

@ApiTags('notifications')
@Roles(...STAFF_ROLES)
@Controller('notifications')
export class NotificationController {
  constructor(private readonly notifications: NotificationService) {}

  @Post()
  @HttpCode(202)
  @Roles(...STAFF_ROLES, 'service')
  @ApiOperation({ summary: 'Send a notification on a channel (LinkedIn becomes a manual task)' })
  @ApiAcceptedResponse({ type: NotificationAccepted })
  @ApiBadRequestResponse({ description: 'A field is invalid, the recipient does not fit the channel, or the template does not exist' })
  async send(@Body() body: NotificationRequestedEvent): Promise<NotificationAccepted> {
    const n = await this.notifications.request({
      route: [{ channel: body.channel, recipient: body.recipient }],
      template: body.template,
      locale: body.locale ?? 'en',
      data: body.data,
      correlationId: body.correlationId,
      dedupeKey: body.idempotencyKey ? `api:${body.idempotencyKey}` : undefined,
    });
    return { id: n!.id, status: n!.status };
  }

  @Get()
  @ApiOperation({ summary: 'Notifications, newest first, filtered by status, channel, correlation id or overdue manual tasks' })
  @ApiOkResponse({ type: NotificationPage })
  list(@Query() query: ListNotificationsQuery): Promise<NotificationPage> {
    return this.notifications.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A notification: status, route, every attempt with its time and error, provider message id' })
  @ApiOkResponse({ type: NotificationView })
  @ApiNotFoundResponse({ description: 'No notification has this id' })
  get(@Param() { id }: NotificationIdParam): Promise<NotificationView> {
    return this.notifications.view(id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a failed notification again' })
  @ApiConflictResponse({ description: 'The notification has not failed' })
  retry(@Param() { id }: NotificationIdParam): Promise<NotificationView> {
    return this.notifications.retry(id);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark a manual (LinkedIn) task as done: who sent it, when, an optional note' })
  @ApiConflictResponse({ description: 'The notification is not a pending manual task' })
  complete(@Param() { id }: NotificationIdParam, @Body() body: CompleteTaskDto): Promise<NotificationView> {
    return this.notifications.complete(id, body);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel a notification that has not been sent' })
  @ApiConflictResponse({ description: 'The notification is already being sent, sent, failed or cancelled' })
  cancel(@Param() { id }: NotificationIdParam): Promise<NotificationView> {
    return this.notifications.cancel(id);
  }
}
