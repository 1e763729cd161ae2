import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsInt, IsISO8601, IsNumber, IsObject, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';

/** `ai.analysis.started`: a workflow began analysing a submission. */
export class AiAnalysisStartedEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() workflowId!: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() submissionId!: string;
  @ApiPropertyOptional({ description: 'The run of the analysis for this submission: 1, then 2, 3… for re-runs' }) @IsOptional() @IsInt() @Min(1) run?: number;
  @ApiProperty() @IsISO8601() startedAt!: string;
}

/** `ai.analysis.completed`: the analysis of a submission is ready. */
export class AiAnalysisCompletedEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() workflowId!: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() submissionId!: string;
  @ApiPropertyOptional({ description: 'The run of the analysis for this submission: 1, then 2, 3… for re-runs' }) @IsOptional() @IsInt() @Min(1) run?: number;
  @ApiProperty() @IsString() summary!: string;
  @ApiProperty() @IsString() category!: string;
  @ApiProperty() @IsNumber() @Min(0) @Max(1) confidence!: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) @IsObject() entities!: Record<string, unknown>;
  @ApiProperty() @IsString() proposal!: string;
  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @IsString({ each: true }) keywords?: string[];
  @ApiProperty() @IsISO8601() completedAt!: string;
}

/** `ai.analysis.failed`: the analysis of a submission gave up, with the reason. */
export class AiAnalysisFailedEvent {
  @ApiProperty({ format: 'uuid' }) @IsUUID() workflowId!: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() submissionId!: string;
  @ApiPropertyOptional({ description: 'The run of the analysis for this submission: 1, then 2, 3… for re-runs' }) @IsOptional() @IsInt() @Min(1) run?: number;
  @ApiProperty() @IsString() reason!: string;
  @ApiProperty() @IsISO8601() failedAt!: string;
}
