import { BadRequestException, Body, Controller, Get, Headers, HttpCode, MessageEvent, PayloadTooLargeException, Post, Query, Sse, UnsupportedMediaTypeException } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { filter, interval, map, merge, Observable } from 'rxjs';
import { CurrentUser, Roles } from '@statex/auth';
import type { AuthUser } from '@statex/auth';
import { LoggingEnv } from '../logging.env';
import { LogItem, parseNdjson } from './log-line';
import { LogIngestService } from './log-ingest.service';
import { LogTail } from './log-tail';
import { LogLinesRepository } from './log-lines.repository';
import { decodeCursor, encodeCursor, IngestResultDto, LogFilterQuery, LogPageDto, LogQueryDto } from './logs.dto';

export const NDJSON = 'application/x-ndjson';

/** Whether a line passes the tail's filters (the same as the query's, `q` as words the message contains). */
export function matchesFilter(item: LogItem, f: LogFilterQuery): boolean {
  if (f.service?.length && !f.service.includes(item.service)) return false;
  if (f.level?.length && !f.level.includes(item.level)) return false;
  if (f.correlationId && item.correlationId !== f.correlationId) return false;
  if (f.q) {
    const message = item.message.toLowerCase();
    const words = f.q.toLowerCase().split(/\s+/).filter((w) => w && !w.startsWith('-'));
    if (!words.every((w) => message.includes(w.replace(/"/g, '')))) return false;
  }
  return true;
}

@ApiTags('logs')
@Controller('logs')
export class LogsController {
  constructor(
    private readonly ingest: LogIngestService,
    private readonly live: LogTail,
    private readonly lines: LogLinesRepository,
    private readonly env: LoggingEnv,
  ) {}

  @Post()
  @HttpCode(202)
  @Roles('service', 'operator', 'admin')
  @ApiOperation({
    summary: 'Ingest a batch of log lines (NDJSON), for clients that cannot reach the broker',
    description: 'One JSON object per line, pino-shaped: time, level (label or pino number), service, message or msg, correlationId, any other fields. Secrets are scrubbed before storing. A service token or a staff token.',
  })
  @ApiConsumes(NDJSON)
  @ApiBody({ schema: { type: 'string', example: '{"time":"2026-11-28T10:00:00.000Z","level":"info","service":"website","message":"Form shown","correlationId":"…"}\n' } })
  @ApiAcceptedResponse({ type: IngestResultDto })
  async post(@Body() body: unknown, @Headers('content-type') contentType: string | undefined, @CurrentUser() user: AuthUser): Promise<IngestResultDto> {
    if (typeof body !== 'string' || !contentType?.startsWith(NDJSON)) throw new UnsupportedMediaTypeException(`Send log lines as ${NDJSON}: one JSON object per line`);
    const { lines, problem } = parseNdjson(body);
    if (problem) throw new BadRequestException(`Invalid NDJSON: ${problem}`);
    if (lines.length === 0) throw new BadRequestException('Invalid NDJSON: no lines');
    if (lines.length > this.env.LOG_INGEST_MAX_LINES) throw new PayloadTooLargeException(`At most ${this.env.LOG_INGEST_MAX_LINES} lines per batch; got ${lines.length}`);
    const { stored, discarded } = await this.ingest.ingest(lines, 'http', user.roles.includes('service') ? user.id.replace(/^service:/, '') : 'unknown');
    return { accepted: stored, discarded };
  }

  @Get()
  @Roles('operator', 'admin')
  @ApiOperation({ summary: 'Search log lines, newest first, a page at a time' })
  @ApiOkResponse({ type: LogPageDto })
  async find(@Query() query: LogQueryDto): Promise<LogPageDto> {
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
    if (query.cursor !== undefined && !after) throw new BadRequestException('cursor is not one this API returned');
    const from = query.from ? new Date(query.from) : undefined;
    const to = query.to ? new Date(query.to) : undefined;
    if (from && to && from >= to) throw new BadRequestException('from must be before to');
    const limit = query.limit ?? 100;
    const rows = await this.lines.find({ service: query.service, level: query.level, correlationId: query.correlationId, q: query.q, from, to, after, limit: limit + 1 });
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last.time, last.id) : null };
  }

  @Sse('tail')
  @Roles('operator', 'admin')
  @ApiOperation({
    summary: 'Live tail: new lines from every replica as server-sent events (`log`), with the same filters',
    description: 'A `ready` event once the tail follows, then `log` events; a `ping` every 15 s.',
  })
  @ApiProduces('text/event-stream')
  tail(@Query() query: LogFilterQuery): Observable<MessageEvent> {
    return merge(
      this.live.follow().pipe(
        filter((item) => item === 'ready' || matchesFilter(item, query)),
        map((item): MessageEvent => (item === 'ready' ? { type: 'ready', data: '' } : { type: 'log', data: item })),
      ),
      interval(15_000).pipe(map((): MessageEvent => ({ type: 'ping', data: '' }))),
    );
  }
}
