import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { CONTACT_CHANNELS, ContactChannel, Locale, LOCALES } from '../contact-channel';

export const SUBMISSION_STATUSES = ['received', 'acknowledged', 'acknowledgement_failed', 'analyzing', 'analyzed', 'analysis_failed', 'answer_failed', 'answered'] as const;
export type SubmissionStatus = (typeof SUBMISSION_STATUSES)[number];

export class SubmissionAcceptedDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: SUBMISSION_STATUSES, example: 'received' }) status!: SubmissionStatus;
  @ApiProperty({ example: 'http://localhost:8002/api/submissions/6b0d…' }) statusUrl!: string;
}

export class AttachmentViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ description: 'The original file name as uploaded' }) fileName!: string;
  @ApiProperty({ description: 'Detected from the content, not from the name' }) contentType!: string;
  @ApiProperty() size!: number;
}

export class TimelineEntryDto {
  @ApiProperty({ enum: SUBMISSION_STATUSES }) status!: SubmissionStatus;
  @ApiProperty() at!: string;
  @ApiPropertyOptional() note?: string;
}

export class SubmissionViewDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: SUBMISSION_STATUSES }) status!: SubmissionStatus;
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
  @ApiPropertyOptional() phone?: string;
  @ApiPropertyOptional() company?: string;
  @ApiProperty() message!: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) contactChannel!: ContactChannel;
  @ApiProperty({ enum: LOCALES }) locale!: Locale;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiPropertyOptional({ description: 'The latest AI analysis: summary, category, confidence, entities, proposal', type: 'object', additionalProperties: true })
  analysis?: Record<string, unknown>;
  @ApiProperty({ type: [AttachmentViewDto] }) attachments!: AttachmentViewDto[];
  @ApiProperty({ type: [TimelineEntryDto] }) timeline!: TimelineEntryDto[];
}
