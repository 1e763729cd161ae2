import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@statex/auth';
import { RoutingKey, UserDeletedEvent } from '@statex/contracts';
import { EventContext } from '@statex/messaging';
import { decodeCursor, encodeCursor } from '../logs/logs.dto';
import { scrubValue } from '../logs/redaction';
import { EventLogRepository, StoredEvent } from './event-log.repository';
import { EventLogService } from './event-log.service';
import { EventPageDto, EventQueryDto } from './events.dto';

/** The time a message was published: its `x-published-at` header (ms), else its AMQP timestamp (s), else now. */
function publishedAt(ctx: EventContext): Date {
  const props = ctx.getMessage().properties;
  const header = props.headers?.['x-published-at'];
  const fromHeader = typeof header === 'string' ? new Date(header) : undefined;
  if (fromHeader && !Number.isNaN(fromHeader.getTime())) return fromHeader;
  return typeof props.timestamp === 'number' ? new Date(props.timestamp * 1000) : new Date();
}

/** The event as it is kept: the body as published, scrubbed of secrets (the transport has already checked it against its contract). */
function storedEvent(ctx: EventContext): StoredEvent {
  const payload = scrubValue(JSON.parse(ctx.getMessage().content.toString('utf8'))) as Record<string, unknown>;
  return {
    messageId: ctx.messageId,
    routingKey: ctx.routingKey,
    correlationId: ctx.correlationId ?? (typeof payload?.correlationId === 'string' ? payload.correlationId : null),
    submissionId: typeof payload?.submissionId === 'string' ? payload.submissionId : null,
    source: ctx.meta.source ?? null,
    publishedAt: publishedAt(ctx),
    payload,
  };
}

/** The platform's event log: logging's queue is bound to every routing key with a contract. */
@ApiTags('events')
@Controller('events')
export class EventLogController {
  constructor(
    private readonly events: EventLogRepository,
    private readonly log: EventLogService,
  ) {}

  @EventPattern(Object.values(RoutingKey).filter((key) => key !== RoutingKey.UserDeleted))
  async onAnyEvent(_payload: unknown, @Ctx() ctx: EventContext): Promise<void> {
    await this.log.record(storedEvent(ctx));
  }

  /** Kept like every event, and the account it names is erased from the log. */
  @EventPattern(RoutingKey.UserDeleted)
  async onUserDeleted(@Payload() event: UserDeletedEvent, @Ctx() ctx: EventContext): Promise<void> {
    await this.log.eraseAccount(storedEvent(ctx), { userId: event.userId, email: event.email });
  }

  @Get()
  @Roles('operator', 'admin')
  @ApiOperation({ summary: 'The event log: every domain event, newest first, by routing key, correlation id and time' })
  @ApiOkResponse({ type: EventPageDto })
  async find(@Query() query: EventQueryDto): Promise<EventPageDto> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, /^.{1,300}$/);
    if (query.cursor !== undefined && !after) throw new BadRequestException('cursor is not one this API returned');
    const limit = query.limit ?? 100;
    const rows = await this.events.find({
      routingKey: query.routingKey,
      correlationId: query.correlationId,
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      after,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.publishedAt, last.messageId) : null };
  }
}
