import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsIn, IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { LOG_LEVELS, LogLevel } from './log-line';

const list = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((v) => v.trim()).filter(Boolean) : Array.isArray(value) ? value : value;

/** The filters of `GET /api/logs` and of the live tail. */
export class LogFilterQuery {
  @ApiPropertyOptional({ description: 'One service or several, comma-separated', example: 'submission,notification' })
  @IsOptional()
  @Transform(list)
  @ArrayMaxSize(20)
  @Matches(/^[a-z0-9][a-z0-9_-]{0,99}$/, { each: true, message: 'service must be service names (lowercase letters, digits, - or _), comma-separated' })
  service?: string[];

  @ApiPropertyOptional({ description: `One level or several, comma-separated: ${LOG_LEVELS.join(', ')}`, example: 'warn,error' })
  @IsOptional()
  @Transform(list)
  @IsIn(LOG_LEVELS, { each: true, message: `level must be one or more of: ${LOG_LEVELS.join(', ')}` })
  level?: LogLevel[];

  @ApiPropertyOptional({ description: 'The journey: a submission id, or a request’s X-Correlation-Id' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  correlationId?: string;

  @ApiPropertyOptional({ description: 'Full-text search over the message (web-search syntax: words, "phrases", -excluded)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  q?: string;
}

export class LogQueryDto extends LogFilterQuery {
  @ApiPropertyOptional({ description: 'From this time (ISO 8601, inclusive)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 time' })
  from?: string;

  @ApiPropertyOptional({ description: 'Until this time (ISO 8601, exclusive)' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 time' })
  to?: string;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class LogItemDto {
  @ApiProperty() id!: string;
  @ApiProperty() time!: string;
  @ApiProperty() service!: string;
  @ApiProperty({ enum: LOG_LEVELS }) level!: LogLevel;
  @ApiProperty() message!: string;
  @ApiProperty({ nullable: true }) correlationId!: string | null;
  @ApiProperty({ nullable: true }) submissionId!: string | null;
  @ApiProperty({ nullable: true }) context!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) fields!: Record<string, unknown>;
}

export class LogPageDto {
  @ApiProperty({ type: [LogItemDto] }) items!: LogItemDto[];
  @ApiProperty({ nullable: true, description: 'Pass as `cursor` for the next (older) page; null on the last page' }) nextCursor!: string | null;
}

export class IngestResultDto {
  @ApiProperty() accepted!: number;
  @ApiProperty({ description: 'Lines older than the retention, not stored' }) discarded!: number;
}

/** A page position: the last line's time and id. */
export function encodeCursor(time: string, id: string): string {
  return Buffer.from(JSON.stringify([time, id])).toString('base64url');
}

export function decodeCursor(cursor: string, idPattern = /^\d{1,19}$/): { time: Date; id: string } | undefined {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    const date = new Date(String(time));
    if (typeof id !== 'string' || !idPattern.test(id) || Number.isNaN(date.getTime())) return undefined;
    return { time: date, id };
  } catch {
    return undefined;
  }
}
