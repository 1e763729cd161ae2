import { randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ContactChannel, Locale, RECIPIENT_FORMATS, RequestCreatedEvent, RoutingKey, UserDeletedEvent } from '@statex/contracts';
import { EventContext, InboxService, OutboxService } from '@statex/messaging';
import { DeliveryProcessor, HopOutcome } from '../delivery/delivery.processor';
import { DeliveryQueues } from '../delivery/delivery.queues';
import { NotificationEnv } from '../notification.env';
import { TemplateRenderer } from '../templates/template.renderer';
import { isJourneyNotification, LeadContact, Notification, RouteHop } from './entities';
import { ListNotificationsQuery, NotificationPage, NotificationView } from './notification.dto';
import { NewNotification, NotificationRepository } from './notification.repository';

export interface NotificationRequest {
  route: RouteHop[];
  template: string;
  locale: Locale;
  data: Record<string, unknown>;
  correlationId?: string;
  dedupeKey?: string;
}

/** The message an event-driven request comes from (recorded once per consumer), and the lead's contact it brings, if any. */
interface FromEvent {
  consumer: string;
  ctx: EventContext;
  lead?: LeadContact;
}

/** The row a request makes, queued on its first hop (enterHop turns a LinkedIn hop into a manual task). */
function newNotification(request: NotificationRequest): NewNotification {
  return {
    dedupeKey: request.dedupeKey ?? null,
    correlationId: request.correlationId ?? null,
    template: request.template,
    locale: request.locale,
    data: request.data,
    route: request.route,
    status: 'queued',
    manualText: null,
  };
}

@Injectable()
export class NotificationService {
  constructor(
    private readonly notifications: NotificationRepository,
    private readonly processor: DeliveryProcessor,
    private readonly queues: DeliveryQueues,
    private readonly renderer: TemplateRenderer,
    private readonly inbox: InboxService,
    private readonly outbox: OutboxService,
    private readonly env: NotificationEnv,
  ) {}

  /** Checks what retrying could never fix: the template and each recipient's format. Throws 400. */
  validate(request: NotificationRequest): void {
    if (!this.renderer.has(request.template)) {
      throw new BadRequestException(`template "${request.template}" does not exist; available: ${this.renderer.names().join(', ')}`);
    }
    if (request.route.length === 0) throw new BadRequestException('no channel has a usable recipient for this notification');
    for (const hop of request.route) {
      const format = RECIPIENT_FORMATS[hop.channel];
      if (!format.pattern.test(hop.recipient)) throw new BadRequestException(`recipient for channel ${hop.channel} must be ${format.description}`);
    }
  }

  /**
   * Records a notification (created `queued`, or `manual_pending` for LinkedIn) and puts it on
   * its channel's queue after the commit. A repeated dedupe key returns the existing one (for an
   * event, null). Null when the event was handled before or its account was erased.
   */
  async request(request: NotificationRequest, fromEvent?: FromEvent): Promise<Pick<Notification, 'id' | 'status'> | null> {
    this.validate(request);
    // The journey's common case, in one statement: an event asking for a message whose first hop is queued.
    if (fromEvent && request.route[0].channel !== 'linkedin') return this.requestFromEvent(request, fromEvent);
    const result = await this.notifications.transaction(async (manager) => {
      if (fromEvent && !(await this.inbox.record(manager, fromEvent.consumer, fromEvent.ctx))) return null;
      // A message for an account deleted meanwhile (a retry, a replay from the DLQ): there is no one to send it to.
      if (fromEvent && request.correlationId && (await this.notifications.isErasedAccount(manager, request.correlationId))) return null;
      if (fromEvent?.lead) await this.notifications.saveLead(manager, fromEvent.lead);
      const { notification, created } = await this.notifications.create(manager, newNotification(request));
      const next: HopOutcome | undefined = created ? await this.processor.enterHop(manager, notification, 0) : undefined;
      // Its status as committed, without reading the row again.
      const status = next === 'manual' ? 'manual_pending' : next === 'enqueue' ? 'queued' : notification.status;
      return { id: notification.id, status, next };
    });
    if (!result) return null;
    if (result.next === 'enqueue') await this.queues.enqueueCommitted({ id: result.id, channel: request.route[0].channel, hop: 0, generation: 0, template: request.template });
    return { id: result.id, status: result.status };
  }

  /** `request` for an event whose first hop is queued: recorded in one statement, enqueued once committed. */
  private async requestFromEvent(request: NotificationRequest, fromEvent: FromEvent): Promise<Pick<Notification, 'id' | 'status'> | null> {
    const id = randomUUID();
    // Not created: handled before, for an erased account, or a repeat of a dedupe key; nothing new to send.
    if (!(await this.notifications.createFromEvent(fromEvent.consumer, fromEvent.ctx, { id, ...newNotification(request) }, fromEvent.lead))) return null;
    await this.queues.enqueueCommitted({ id, channel: request.route[0].channel, hop: 0, generation: 0, template: request.template });
    return { id, status: 'queued' };
  }

  /**
   * The route for a lead: their chosen channel, then the fallback chain, skipping channels without
   * a usable contact (a contact the channel could never deliver to would fail the whole request).
   */
  leadRoute(lead: Pick<LeadContact, 'contactChannel' | 'email' | 'phone' | 'telegramChatId' | 'linkedinUrl'>): RouteHop[] {
    const contact: Record<ContactChannel, string | null> = { email: lead.email, telegram: lead.telegramChatId, whatsapp: lead.phone, linkedin: lead.linkedinUrl };
    const chain = [lead.contactChannel, ...this.env.NOTIFICATION_FALLBACK_CHAIN.split(',').filter(Boolean)] as ContactChannel[];
    const route: RouteHop[] = [];
    for (const channel of chain) {
      const recipient = contact[channel];
      if (recipient && RECIPIENT_FORMATS[channel].pattern.test(recipient) && !route.some((hop) => hop.channel === channel)) route.push({ channel, recipient });
    }
    return route;
  }

  leadFrom(event: RequestCreatedEvent): LeadContact {
    return Object.assign(new LeadContact(), {
      submissionId: event.submissionId,
      name: event.name,
      email: event.email,
      phone: event.phone ?? null,
      telegramChatId: event.telegramChatId ?? null,
      linkedinUrl: event.linkedinUrl ?? null,
      contactChannel: event.contactChannel,
      locale: event.locale ?? 'en',
      statusUrl: event.statusUrl ?? null,
      message: event.message,
    });
  }

  async view(id: string): Promise<NotificationView> {
    const n = await this.notifications.findById(id);
    if (!n) throw new NotFoundException(`Notification ${id} not found`);
    return this.toView(n, await this.notifications.attemptsOf(id));
  }

  async list(query: ListNotificationsQuery): Promise<NotificationPage> {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 20;
    const { items, total } = await this.notifications.list({
      status: query.status,
      channel: query.channel,
      correlationId: query.correlationId,
      pendingSince: query.overdue === 'true' ? this.slaStart() : undefined,
      page,
      pageSize,
    });
    const views = await Promise.all(items.map(async (n) => this.toView(n, await this.notifications.attemptsOf(n.id))));
    return { items: views, total, page, pageSize };
  }

  /**
   * `user.deleted`: the account's messages and every message to its address lose their personal
   * data (see NotificationRepository.eraseAccount), once per event.
   */
  async eraseAccount(event: UserDeletedEvent, ctx: EventContext): Promise<void> {
    await this.inbox.once('notification.user-deleted', ctx, async (manager) => {
      await this.notifications.eraseAccount(manager, { userId: event.userId, email: event.email });
    });
  }

  /** A failed notification goes round its route again, from the first channel. */
  async retry(id: string): Promise<NotificationView> {
    const outcome = await this.notifications.transaction(async (manager) => {
      const n = await this.mustLock(manager, id);
      if (n.erasedAt) throw new ConflictException('This notification was erased when its recipient’s account was deleted: there is no one to send it to');
      if (n.status !== 'failed') throw new ConflictException(`Only a failed notification can be retried; this one is ${n.status}`);
      n.generation += 1;
      await this.notifications.update(manager, id, { generation: n.generation, lastError: null });
      return { n, next: await this.processor.enterHop(manager, n, 0) };
    });
    if (outcome.next === 'enqueue') await this.queues.enqueueCommitted({ id, channel: outcome.n.route[0].channel, hop: 0, generation: outcome.n.generation, template: outcome.n.template });
    return this.view(id);
  }

  /** An operator sent a manual (LinkedIn) message: the task is done, and the journey hears it was sent. */
  async complete(id: string, by: { completedBy: string; completedAt?: Date; note?: string }): Promise<NotificationView> {
    await this.notifications.transaction(async (manager) => {
      const n = await this.mustLock(manager, id);
      if (n.status !== 'manual_pending') throw new ConflictException(`Only a pending manual task can be completed; this one is ${n.status}`);
      const completedAt = by.completedAt ?? new Date();
      await this.notifications.update(manager, id, { status: 'manual_done', completedBy: by.completedBy, completedAt, completionNote: by.note ?? null, sentAt: completedAt });
      await this.notifications.addAttempt(manager, { notificationId: id, at: completedAt, channel: n.channel, recipient: n.recipient, outcome: 'sent', error: null });
      await this.outbox.add(
        manager,
        RoutingKey.NotificationSent,
        { notificationId: id, correlationId: n.correlationId ?? undefined, journey: isJourneyNotification(n), channel: n.channel, template: n.template, recipient: n.recipient, sentAt: completedAt.toISOString() },
        { correlationId: n.correlationId ?? undefined },
      );
    });
    return this.view(id);
  }

  /** Cancels a notification not sent yet (queued, or a pending manual task). */
  async cancel(id: string): Promise<NotificationView> {
    await this.notifications.transaction(async (manager) => {
      const n = await this.mustLock(manager, id);
      if (n.status !== 'queued' && n.status !== 'manual_pending') throw new ConflictException(`Only a queued notification or a pending manual task can be cancelled; this one is ${n.status}`);
      await this.notifications.update(manager, id, { status: 'cancelled', cancelledAt: new Date() });
    });
    return this.view(id);
  }

  slaStart(): Date {
    return new Date(Date.now() - this.env.LINKEDIN_TASK_SLA_HOURS * 3600_000);
  }

  private async mustLock(manager: EntityManager, id: string): Promise<Notification> {
    const n = await this.notifications.lock(manager, id);
    if (!n) throw new NotFoundException(`Notification ${id} not found`);
    return n;
  }

  private toView(n: Notification, attempts: Awaited<ReturnType<NotificationRepository['attemptsOf']>>): NotificationView {
    const manual = n.channel === 'linkedin' && n.manualText !== null;
    return {
      id: n.id,
      channel: n.channel,
      recipient: n.recipient,
      template: n.template,
      locale: n.locale,
      status: n.status,
      correlationId: n.correlationId ?? undefined,
      route: n.route,
      attempts: attempts.map((a) => ({ at: a.at.toISOString(), channel: a.channel ?? undefined, recipient: a.recipient ?? undefined, outcome: a.outcome, error: a.error ?? undefined })),
      sentAt: n.sentAt?.toISOString(),
      providerMessageId: n.providerMessageId ?? undefined,
      lastError: n.lastError ?? undefined,
      manualTask: manual
        ? {
            text: n.manualText!,
            profileUrl: n.recipient,
            overdue: n.status === 'manual_pending' && n.createdAt < this.slaStart(),
            completedBy: n.completedBy ?? undefined,
            completedAt: n.completedAt?.toISOString(),
            note: n.completionNote ?? undefined,
          }
        : undefined,
      createdAt: n.createdAt.toISOString(),
      updatedAt: n.updatedAt.toISOString(),
    };
  }
}
