import { ConflictException, Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { Roles } from '@statex/auth';
import { STAFF_ROLES } from '@statex/contracts';
import { ParkedMessage, ParkedMessages, ReplayReturned } from './parked-messages';

export const PARKED_SERVICE = Symbol('PARKED_SERVICE');

class ParkedMessageDto implements ParkedMessage {
  @ApiProperty() messageId!: string;
  @ApiProperty() routingKey!: string;
  @ApiProperty({ description: 'Why it was parked' }) reason!: string;
  @ApiProperty({ description: 'Attempts made before it was parked' }) attempts!: number;
  @ApiPropertyOptional() firstFailedAt?: string;
  @ApiPropertyOptional() parkedAt?: string;
  @ApiPropertyOptional() correlationId?: string;
  @ApiPropertyOptional({ description: 'The app that published it' }) source?: string;
  @ApiProperty({ description: 'Times the broker has handed it out, inspections included' }) deliveries!: number;
  @ApiProperty({ description: 'The message body', type: 'object', additionalProperties: true }) payload!: unknown;
}

class ParkedListDto {
  @ApiProperty() service!: string;
  @ApiProperty({ description: 'The dead-letter queue' }) queue!: string;
  @ApiPropertyOptional({ description: 'Messages waiting in the service queue', nullable: true }) waiting!: number | null;
  @ApiProperty({ type: [ParkedMessageDto] }) items!: ParkedMessageDto[];
}

class OutcomeDto {
  @ApiProperty({ type: [String] }) messageIds!: string[];
}

class ListQuery {
  @ApiPropertyOptional({ default: 100, maximum: 1000 }) @IsOptional() @Type(() => Number) @IsInt({ message: 'limit must be a whole number' }) @Min(1) @Max(1000) limit?: number;
}

class MessageIdParam {
  @IsString() @MaxLength(200) @Matches(/^[\w.:-]+$/, { message: 'messageId must be letters, digits, ., :, _ or -' }) messageId!: string;
}

/**
 * The service's parked messages (its `.dlq`), for operators: list, inspect, replay into the
 * service's queue with the original message id, or discard. `npm run dlq` does the same from a shell.
 */
@ApiTags('parked messages')
@Roles(...STAFF_ROLES)
@Controller('parked-messages')
export class ParkedMessagesController {
  constructor(
    private readonly parked: ParkedMessages,
    @Inject(PARKED_SERVICE) private readonly service: string,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Messages parked in this service’s dead-letter queue, oldest first' })
  @ApiOkResponse({ type: ParkedListDto })
  async list(@Query() query: ListQuery): Promise<ParkedListDto> {
    const [items, depth] = await Promise.all([this.parked.list(this.service, query.limit ?? 100), this.parked.depth(this.service)]);
    return { service: this.service, queue: this.parked.queueOf(this.service), waiting: depth.queue, items };
  }

  @Get(':messageId')
  @ApiOperation({ summary: 'One parked message: reason, attempts, first and last failure, payload' })
  @ApiOkResponse({ type: ParkedMessageDto })
  async show(@Param() { messageId }: MessageIdParam): Promise<ParkedMessageDto> {
    const found = await this.parked.show(this.service, messageId);
    if (!found) throw new NotFoundException(`No parked message ${messageId} in ${this.parked.queueOf(this.service)}`);
    return found;
  }

  @Post('replay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replay every parked message into this service’s queue' })
  @ApiOkResponse({ type: OutcomeDto })
  @ApiConflictResponse({ description: 'The service queue took no copy (it does not exist); the message stays parked' })
  async replayAll(): Promise<OutcomeDto> {
    return { messageIds: await this.replayed('all') };
  }

  @Post(':messageId/replay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Replay one parked message into this service’s queue, keeping its message id' })
  @ApiOkResponse({ type: OutcomeDto })
  @ApiConflictResponse({ description: 'The service queue took no copy (it does not exist); the message stays parked' })
  async replay(@Param() { messageId }: MessageIdParam): Promise<OutcomeDto> {
    const messageIds = await this.replayed([messageId]);
    if (messageIds.length === 0) throw new NotFoundException(`No parked message ${messageId} in ${this.parked.queueOf(this.service)}`);
    return { messageIds };
  }

  @Delete()
  @ApiOperation({ summary: 'Discard every parked message of this service for good' })
  @ApiOkResponse({ type: OutcomeDto })
  async discardAll(): Promise<OutcomeDto> {
    return { messageIds: await this.parked.discard(this.service, 'all') };
  }

  @Delete(':messageId')
  @ApiOperation({ summary: 'Discard one parked message for good' })
  @ApiOkResponse({ type: OutcomeDto })
  async discard(@Param() { messageId }: MessageIdParam): Promise<OutcomeDto> {
    const messageIds = await this.parked.discard(this.service, [messageId]);
    if (messageIds.length === 0) throw new NotFoundException(`No parked message ${messageId} in ${this.parked.queueOf(this.service)}`);
    return { messageIds };
  }

  private async replayed(selection: string[] | 'all'): Promise<string[]> {
    try {
      return await this.parked.replay(this.service, selection);
    } catch (error) {
      if (error instanceof ReplayReturned) throw new ConflictException(error.message);
      throw error;
    }
  }
}
