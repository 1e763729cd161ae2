import { Injectable, NotFoundException } from '@nestjs/common';
import { RoutingKey } from '@statex/contracts';
import { EventItem, EventLogRepository } from '../events/event-log.repository';
import { LogItem } from '../logs/log-line';
import { LogLinesRepository } from '../logs/log-lines.repository';

export const TIMELINE_KINDS = ['event', 'status', 'notification', 'step', 'log'] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export interface TimelineEntry {
  at: string;
  service: string;
  kind: TimelineKind;
  summary: string;
  /** The event it comes from (`event`, and what an event implies), or the log line. */
  routingKey?: string;
  messageId?: string;
  level?: string;
  status?: string;
  /** For what an event records: the time its payload states (e.g. `sentAt`). */
  occurredAt?: string;
  details?: Record<string, unknown>;
}

export interface Timeline {
  submissionId: string;
  entries: TimelineEntry[];
}

/** The lead's messages, and the status their delivery moves it to (as submission applies them). */
const LEAD_MESSAGES: Record<string, { sent: string; failed: string }> = {
  acknowledgement: { sent: 'acknowledged', failed: 'acknowledgement_failed' },
  'analysis-results': { sent: 'answered', failed: 'answer_failed' },
};

const MAX_ROWS = 5000;

type Payload = Record<string, unknown>;
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);
const timeOr = (value: unknown, fallback: string) => {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : fallback;
};

/** An event, and the status change, notification attempt or workflow step it records. */
export function entriesOfEvent(event: EventItem): TimelineEntry[] {
  const p = (event.payload ?? {}) as Payload;
  const service = event.source ?? 'unknown';
  const base = { routingKey: event.routingKey, messageId: event.messageId };
  const entries: TimelineEntry[] = [{ at: event.publishedAt, service, kind: 'event', summary: event.routingKey, ...base }];
  // What an event records is placed at the event (so it follows it); the time the payload states is kept in `occurredAt`.
  const derived = (kind: TimelineKind, atField: unknown, summary: string, extra: Partial<TimelineEntry> = {}) =>
    entries.push({ at: event.publishedAt, service, kind, summary, ...base, ...extra, occurredAt: timeOr(atField, event.publishedAt) });
  const run = typeof p.run === 'number' ? ` (run ${p.run})` : '';
  switch (event.routingKey) {
    case RoutingKey.RequestCreated:
      derived('status', p.createdAt, 'received', { status: 'received' });
      break;
    case RoutingKey.AiAnalysisStarted:
      derived('step', p.startedAt, `analysis started, workflow ${str(p.workflowId)}${run}`, { details: { workflowId: p.workflowId } });
      derived('status', p.startedAt, 'analyzing', { status: 'analyzing' });
      break;
    case RoutingKey.AiAnalysisCompleted: {
      const confidence = typeof p.confidence === 'number' ? ` (${Math.round(p.confidence * 100)}%)` : '';
      derived('step', p.completedAt, `analysis completed: ${str(p.category) ?? '?'}${confidence}${run}`, { details: { workflowId: p.workflowId } });
      derived('status', p.completedAt, 'analyzed', { status: 'analyzed' });
      break;
    }
    case RoutingKey.AiAnalysisFailed:
      derived('step', p.failedAt, `analysis failed: ${str(p.reason) ?? '?'}${run}`, { details: { workflowId: p.workflowId } });
      derived('status', p.failedAt, 'analysis_failed', { status: 'analysis_failed' });
      break;
    case RoutingKey.NotificationRequested:
      derived('notification', undefined, `${str(p.template)} requested by ${str(p.channel)}`, { details: { channel: p.channel, template: p.template } });
      break;
    case RoutingKey.NotificationSent:
    case RoutingKey.NotificationFailed:
    case RoutingKey.NotificationManualPending: {
      const outcome = event.routingKey === RoutingKey.NotificationSent ? 'sent' : event.routingKey === RoutingKey.NotificationFailed ? 'failed' : 'manual task';
      const at = p.sentAt ?? p.failedAt ?? p.createdAt;
      const reason = str(p.reason) ? `: ${str(p.reason)}` : '';
      derived('notification', at, `${str(p.template)} by ${str(p.channel)} ${outcome}${reason}`, {
        details: { notificationId: p.notificationId, channel: p.channel, template: p.template, outcome },
      });
      const statuses = LEAD_MESSAGES[str(p.template) ?? ''];
      if (statuses && p.journey === true && outcome !== 'manual task') {
        const status = outcome === 'sent' ? statuses.sent : statuses.failed;
        derived('status', at, status, { status });
      }
      break;
    }
  }
  return entries;
}

/** A log line, as a step or notification attempt when it says so by its fields. */
export function entryOfLog(line: LogItem): TimelineEntry {
  const f = line.fields ?? {};
  const kind: TimelineKind = f.step !== undefined ? 'step' : f.notificationId !== undefined ? 'notification' : typeof f.status === 'string' ? 'status' : 'log';
  return {
    at: line.time,
    service: line.service,
    kind,
    summary: line.message,
    level: line.level,
    ...(kind === 'status' ? { status: String(f.status) } : {}),
    details: { ...(line.context ? { context: line.context } : {}), ...f },
  };
}

@Injectable()
export class TimelineService {
  constructor(
    private readonly events: EventLogRepository,
    private readonly lines: LogLinesRepository,
  ) {}

  /** Every event, status change, notification attempt, step and log line of one submission, in time order. */
  async of(submissionId: string): Promise<Timeline> {
    const [events, lines] = await Promise.all([this.events.ofSubmission(submissionId, MAX_ROWS), this.lines.ofSubmission(submissionId, MAX_ROWS)]);
    if (events.length === 0 && lines.length === 0) throw new NotFoundException(`Nothing is recorded for submission ${submissionId}: no event or log line carries its id`);
    const entries = [...events.flatMap(entriesOfEvent), ...lines.map(entryOfLog)];
    // Stable: an event stays before what it implies when both carry the same time.
    entries.sort((a, b) => a.at.localeCompare(b.at));
    return { submissionId, entries };
  }
}
