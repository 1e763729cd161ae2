import { BadRequestException, Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Roles } from '@statex/auth';
import { TIMELINE_KINDS, TimelineKind, TimelineService } from './timeline.service';

class TimelineEntryDto {
  @ApiProperty() at!: string;
  @ApiProperty({ description: 'The service that published the event or wrote the line' }) service!: string;
  @ApiProperty({ enum: TIMELINE_KINDS }) kind!: TimelineKind;
  @ApiProperty() summary!: string;
  @ApiPropertyOptional() routingKey?: string;
  @ApiPropertyOptional() messageId?: string;
  @ApiPropertyOptional() level?: string;
  @ApiPropertyOptional() status?: string;
  @ApiPropertyOptional({ description: 'For what an event records: the time its payload states' }) occurredAt?: string;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) details?: Record<string, unknown>;
}

class TimelineDto {
  @ApiProperty() submissionId!: string;
  @ApiProperty({ type: [TimelineEntryDto] }) entries!: TimelineEntryDto[];
}

@ApiTags('timeline')
@Controller('leads')
export class TimelineController {
  constructor(private readonly timeline: TimelineService) {}

  @Get(':submissionId/timeline')
  @Roles('operator', 'admin')
  @ApiOperation({ summary: 'One lead’s whole story: every event, status change, notification attempt, workflow step and log line that carries its id, from every service, in time order' })
  @ApiOkResponse({ type: TimelineDto })
  @ApiNotFoundResponse({ description: 'No event or log line carries this submission id' })
  get(@Param('submissionId', new ParseUUIDPipe({ exceptionFactory: () => new BadRequestException('submissionId must be a UUID') })) submissionId: string): Promise<TimelineDto> {
    return this.timeline.of(submissionId);
  }
}
