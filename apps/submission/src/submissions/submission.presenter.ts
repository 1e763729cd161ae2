import type { AnalysisSummaryDto, SubmissionStatus, SubmissionStatusViewDto, SubmissionSummaryDto, SubmissionViewDto, TimelineEntryDto } from '@statex/contracts';
import type { Submission, SubmissionAttachment, SubmissionStatusChange } from './entities';
import type { SubmissionRecord } from './submission.repository';

const UNREACHABLE = 'We could not reach you on your channel; our team has been told.';

/** What the status page says of a failure, instead of its internal note (hosts, recipients, model errors). */
export const PUBLIC_FAILURE_NOTES: Partial<Record<SubmissionStatus, string>> = {
  acknowledgement_failed: UNREACHABLE,
  answer_failed: UNREACHABLE,
  analysis_failed: 'The automatic analysis did not finish; our team will look at your request.',
};

/** The full submission: personal data and internal notes. */
export function toFullView({ submission: s, attachments, timeline }: SubmissionRecord): SubmissionViewDto {
  return {
    ...common(s, attachments),
    name: s.name,
    email: s.email,
    phone: s.phone ?? undefined,
    company: s.company ?? undefined,
    message: s.message,
    analysis: s.analysis ?? undefined,
    timeline: timeline.map((t) => ({ status: t.status, at: t.at.toISOString(), note: t.note ?? undefined })),
  };
}

/** The status page: no personal data, no internal notes. */
export function toStatusView({ submission: s, attachments, timeline }: SubmissionRecord): SubmissionStatusViewDto {
  return {
    ...common(s, attachments),
    analysis: s.analysis ? emailedAnalysis(s.analysis) : undefined,
    timeline: timeline.map(publicEntry),
  };
}

export function toSummary(s: Submission): SubmissionSummaryDto {
  return {
    id: s.id,
    status: s.status,
    name: s.name,
    email: s.email,
    company: s.company ?? undefined,
    contactChannel: s.contactChannel,
    locale: s.locale,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

function common(s: Submission, attachments: SubmissionAttachment[]) {
  return {
    id: s.id,
    status: s.status,
    contactChannel: s.contactChannel,
    locale: s.locale,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
    attachments: attachments.map((a) => ({ id: a.id, fileName: a.fileName, contentType: a.contentType, size: a.size })),
  };
}

function publicEntry(t: SubmissionStatusChange): TimelineEntryDto {
  const note = PUBLIC_FAILURE_NOTES[t.status];
  return { status: t.status, at: t.at.toISOString(), ...(note ? { note } : {}) };
}

/** What the results message told the lead; the extracted entities (emails, phones…) stay internal. */
function emailedAnalysis(analysis: Record<string, unknown>): AnalysisSummaryDto {
  const text = (key: string) => (typeof analysis[key] === 'string' ? (analysis[key] as string) : '');
  return {
    category: text('category'),
    confidence: typeof analysis.confidence === 'number' ? analysis.confidence : 0,
    summary: text('summary'),
    proposal: text('proposal'),
    completedAt: typeof analysis.completedAt === 'string' ? analysis.completedAt : undefined,
  };
}
