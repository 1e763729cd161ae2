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
  @ApiPropertyOptional({
    description: 'Full view: the internal note (channel and recipient, the provider’s error, the model’s reason). Status view: only a generic text for a failure, otherwise absent.',
  })
  note?: string;
}

/** What the lead was emailed of the analysis: no extracted entities, no workflow internals. */
export class AnalysisSummaryDto {
  @ApiProperty({ example: 'e-commerce' }) category!: string;
  @ApiProperty({ minimum: 0, maximum: 1 }) confidence!: number;
  @ApiProperty() summary!: string;
  @ApiProperty() proposal!: string;
  @ApiPropertyOptional() completedAt?: string;
}

/** What both views of a submission show. */
abstract class SubmissionViewBase {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: SUBMISSION_STATUSES }) status!: SubmissionStatus;
  @ApiProperty({ enum: CONTACT_CHANNELS }) contactChannel!: ContactChannel;
  @ApiProperty({ enum: LOCALES }) locale!: Locale;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
  @ApiProperty({ type: [AttachmentViewDto] }) attachments!: AttachmentViewDto[];
  @ApiProperty({ type: [TimelineEntryDto] }) timeline!: TimelineEntryDto[];
}

/**
 * The status page anyone with the link sees: no personal data (name, email, phone, company,
 * message) and no internal notes; a failure says only that the team has been told.
 */
export class SubmissionStatusViewDto extends SubmissionViewBase {
  @ApiPropertyOptional({ type: AnalysisSummaryDto, description: 'The latest analysis, as it was emailed to the lead' })
  analysis?: AnalysisSummaryDto;
}

/** The full submission: for staff, and for the lead signed in with the same verified email. */
export class SubmissionViewDto extends SubmissionViewBase {
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
  @ApiPropertyOptional() phone?: string;
  @ApiPropertyOptional() company?: string;
  @ApiProperty() message!: string;
  @ApiPropertyOptional({ description: 'The latest AI analysis: summary, category, confidence, entities, proposal', type: 'object', additionalProperties: true })
  analysis?: Record<string, unknown>;
}

/** One row of the list of submissions. */
export class SubmissionSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: SUBMISSION_STATUSES }) status!: SubmissionStatus;
  @ApiProperty() name!: string;
  @ApiProperty() email!: string;
  @ApiPropertyOptional() company?: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) contactChannel!: ContactChannel;
  @ApiProperty({ enum: LOCALES }) locale!: Locale;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class SubmissionPageDto {
  @ApiProperty({ type: [SubmissionSummaryDto], description: 'Newest first' }) items!: SubmissionSummaryDto[];
  @ApiProperty({ description: '1-based' }) page!: number;
  @ApiProperty() pageSize!: number;
  @ApiProperty({ description: 'How many submissions match, over all pages' }) total!: number;
}
