import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { Ctx, EventPattern } from '@nestjs/microservices';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@statex/auth';
import { RoutingKey } from '@statex/contracts';
import { EventContext } from '@statex/messaging';
import { decodeCursor, encodeCursor } from '../logs/logs.dto';
import { scrubValue } from '../logs/redaction';
import { EventLogRepository } from './event-log.repository';
import { EventPageDto, EventQueryDto } from './events.dto';

/** The time a message was published: its `x-published-at` header (ms), else its AMQP timestamp (s), else now. */
function publishedAt(ctx: EventContext): Date {
  const props = ctx.getMessage().properties;
  const header = props.headers?.['x-published-at'];
  const fromHeader = typeof header === 'string' ? new Date(header) : undefined;
  if (fromHeader && !Number.isNaN(fromHeader.getTime())) return fromHeader;
  return typeof props.timestamp === 'number' ? new Date(props.timestamp * 1000) : new Date();
}

/** The platform's event log: logging's queue is bound to every routing key with a contract. */
@ApiTags('events')
@Controller('events')
export class EventLogController {
  constructor(private readonly events: EventLogRepository) {}

  @EventPattern(Object.values(RoutingKey))
  async onAnyEvent(_payload: unknown, @Ctx() ctx: EventContext): Promise<void> {
    // The body as published (the transport has already checked it against its contract, if any).
    const payload = scrubValue(JSON.parse(ctx.getMessage().content.toString('utf8'))) as Record<string, unknown>;
    const submissionId = typeof payload?.submissionId === 'string' ? payload.submissionId : null;
    await this.events.insert({
      messageId: ctx.messageId,
      routingKey: ctx.routingKey,
      correlationId: ctx.correlationId ?? (typeof payload?.correlationId === 'string' ? payload.correlationId : null),
      submissionId,
      source: ctx.meta.source ?? null,
      publishedAt: publishedAt(ctx),
      payload,
    });
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
