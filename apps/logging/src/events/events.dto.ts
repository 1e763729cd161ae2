import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class EventQueryDto {
  @ApiPropertyOptional({ example: 'notification.sent' })
  @IsOptional()
  @Matches(/^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/, { message: 'routingKey must be a routing key such as notification.sent' })
  @MaxLength(200)
  routingKey?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  correlationId?: string;

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
  @MaxLength(400)
  cursor?: string;

  @ApiPropertyOptional({ default: 100, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class EventItemDto {
  @ApiProperty() messageId!: string;
  @ApiProperty() routingKey!: string;
  @ApiProperty({ nullable: true }) correlationId!: string | null;
  @ApiProperty({ nullable: true }) submissionId!: string | null;
  @ApiProperty({ nullable: true, description: 'The publishing service' }) source!: string | null;
  @ApiProperty() publishedAt!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload!: unknown;
}

export class EventPageDto {
  @ApiProperty({ type: [EventItemDto] }) items!: EventItemDto[];
  @ApiProperty({ nullable: true }) nextCursor!: string | null;
}
