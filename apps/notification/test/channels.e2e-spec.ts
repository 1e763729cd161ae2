import { randomUUID } from 'node:crypto';
import { RequestCreatedEvent, RoutingKey } from '@statex/contracts';
import request from 'supertest';
import {
  AuthStandIn,
  bearer,
  BrokerProbe,
  removeTestNamespace,
  ServiceUnderTest,
  sleep,
  SmtpStandIn,
  startServiceForTest,
  TelegramBotApiStandIn,
  testEnv,
  uniqueNamespace,
  waitFor,
  WhatsAppCloudApiStandIn,
} from '@statex/testing';
import { DeliveryQueues } from '../src/delivery/delivery.queues';
import { notificationService } from '../src/notification.app';
import { NotificationEnv } from '../src/notification.env';

const data = { name: 'Jana Nováková', requestId: 'REQ-42', statusUrl: 'http://forms.example.test/s/42', message: 'We need an app.' };

describe('notification channels (stand-ins speaking each provider’s protocol)', () => {
  const namespace = uniqueNamespace('chn');
  const smtp = new SmtpStandIn();
  const telegram = new TelegramBotApiStandIn();
  const whatsapp = new WhatsAppCloudApiStandIn();
  const probe = new BrokerProbe(namespace);
  const auth = new AuthStandIn();
  let service: ServiceUnderTest;
  /** An operator's token: the notification and template routes are for staff. */
  let operator: Record<string, string>;
  const get = (path: string): request.Test => service.http.get(path).set(operator);
  const post = (path: string): request.Test => service.http.post(path).set(operator);

  beforeAll(async () => {
    await Promise.all([smtp.start(), telegram.start(), whatsapp.start(), probe.start(), auth.start()]);
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    const env = testEnv(NotificationEnv, namespace, {
      ...auth.env,
      SMTP_PORT: smtp.port,
      TELEGRAM_BOT_TOKEN: telegram.token,
      TELEGRAM_API_ROOT: telegram.url,
      WHATSAPP_API_URL: whatsapp.url,
      WHATSAPP_PHONE_NUMBER_ID: whatsapp.phoneNumberId,
      WHATSAPP_TOKEN: whatsapp.token,
      NOTIFICATION_MAX_ATTEMPTS: 4,
      NOTIFICATION_BACKOFF_MS: 100,
      LINKEDIN_TASK_SLA_HOURS: 0,
      TELEGRAM_RATE_PER_SECOND: 5,
    });
    service = await startServiceForTest(notificationService, env);
  });

  afterAll(async () => {
    await service?.app.close();
    await Promise.all([smtp.stop(), telegram.stop(), whatsapp.stop(), auth.stop()]);
    await removeTestNamespace(namespace);
    await probe.cleanup(['notification']);
    await probe.stop();
  });

  const send = (body: Record<string, unknown>) => post('/api/notifications').send({ template: 'acknowledgement', data, ...body });
  const settled = (id: string, status = 'sent') =>
    waitFor(async () => {
      const res = await get(`/api/notifications/${id}`);
      return res.body.status === status && res.body;
    }, { what: `notification ${id} to be ${status}`, timeoutMs: 20_000 });

  it('email: HTML and plain-text parts through SMTP', async () => {
    const res = await send({ channel: 'email', recipient: 'jana@example.com', correlationId: 'corr-email' }).expect(202);
    expect(res.body).toEqual({ id: expect.any(String), status: 'queued' });
    const view = await settled(res.body.id);
    const mail = smtp.find('REQ-42').find((m) => m.messageId === `<${res.body.id}@statex>`)!;
    expect(mail.html).toContain('<strong>REQ-42</strong>');
    expect(mail.text).toContain('Hello Jana Nováková');
    expect(view).toMatchObject({ channel: 'email', correlationId: 'corr-email', providerMessageId: `<${res.body.id}@statex>`, attempts: [{ outcome: 'sent', channel: 'email' }] });
  });

  it('email: works on as many messages at once as EMAIL_CONCURRENCY, each on its own SMTP connection', async () => {
    // A slow server holds every message for a while: how many it holds at once is how many
    // connections the channel opened (a pool of five, as before, would stop at five).
    smtp.delayMs = 1500;
    try {
      const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => send({ channel: 'email', recipient: `slow-${i}@example.com` }).expect(202)));
      await waitFor(() => smtp.unanswered >= 8, { what: 'eight messages in flight at once', timeoutMs: 10_000 });
      await Promise.all(responses.map((r) => settled(r.body.id)));
    } finally {
      smtp.delayMs = 0;
    }
  });

  it('telegram: sendMessage to the chat through the Bot API', async () => {
    const res = await send({ channel: 'telegram', recipient: '555001', locale: 'cs' }).expect(202);
    const view = await settled(res.body.id);
    const message = telegram.sent().find((m) => m.chatId === '555001')!;
    expect(message.text).toContain('Dobrý den, Jana Nováková');
    expect(message.text).toContain('<code>REQ-42</code>');
    expect(view.providerMessageId).toMatch(/^\d+$/);
  });

  it('telegram: a 429 pauses the whole channel for retry_after, then the messages go', async () => {
    telegram.answerNext(TelegramBotApiStandIn.tooManyRequests(3));
    const res = await send({ channel: 'telegram', recipient: '555002' }).expect(202);
    const telegramQueue = service.app.get(DeliveryQueues).queues.get('telegram')!;
    const limited = await waitFor(async () => {
      const view = (await get(`/api/notifications/${res.body.id}`)).body;
      // The channel's cooldown is set (the normal limiter's windows last at most a second).
      return view.attempts.length > 0 && (await telegramQueue.getRateLimitTtl()) > 1000 && view;
    }, { what: 'the 429 attempt and the channel cooldown', intervalMs: 50 });
    // Another message for the same bot, queued during the cooldown, waits it out too.
    const other = await send({ channel: 'telegram', recipient: '555012' }).expect(202);
    const [view, otherView] = await Promise.all([settled(res.body.id), settled(other.body.id)]);
    expect(view.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'sent']);
    expect(view.attempts[0].error).toContain('429');
    const cooldownFrom = Date.parse(limited.attempts[0].at);
    expect(Date.parse(view.attempts[1].at) - cooldownFrom).toBeGreaterThanOrEqual(2900);
    expect(Date.parse(otherView.sentAt) - cooldownFrom).toBeGreaterThanOrEqual(2900);
    expect(otherView.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['sent']);
  });

  it('telegram: a bot that keeps answering 429 still ends after its last attempt', async () => {
    telegram.answerNext(...Array.from({ length: 4 }, () => TelegramBotApiStandIn.tooManyRequests(1)));
    const res = await send({ channel: 'telegram', recipient: '555020' }).expect(202);
    const view = await settled(res.body.id, 'failed');
    expect(view.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'failed', 'failed', 'failed']);
    expect(view.attempts.every((a: { error: string }) => a.error.includes('429'))).toBe(true);
  });

  it('telegram: the channel’s rate limit spaces a burst out', async () => {
    const chats = Array.from({ length: 12 }, (_, i) => String(777000 + i));
    const responses = await Promise.all(chats.map((chat) => send({ channel: 'telegram', recipient: chat }).expect(202)));
    const views = await Promise.all(responses.map((r) => settled(r.body.id)));
    const times = views.map((v) => Date.parse(v.sentAt)).sort((a, b) => a - b);
    // 12 messages at 5 a second need more than two one-second windows.
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(1500);
  });

  it('a backlog on a channel sends the messages someone waits for (acknowledgements) before follow-ups (analysis results)', async () => {
    const results = { ...data, summary: 'S', category: 'website', proposal: 'P' };
    // Ten follow-ups fill the first one-second windows of the channel's limit (5 a second)…
    const followUps = await Promise.all(Array.from({ length: 10 }, (_, i) => send({ channel: 'telegram', recipient: String(778000 + i), template: 'analysis-results', data: results }).expect(202)));
    // …then three acknowledgements arrive, behind them in time.
    const acknowledgements = await Promise.all(Array.from({ length: 3 }, (_, i) => send({ channel: 'telegram', recipient: String(779000 + i) }).expect(202)));
    const sentAt = async (responses: request.Response[]) => (await Promise.all(responses.map((r) => settled(r.body.id)))).map((v) => Date.parse(v.sentAt));
    const [followUpTimes, acknowledgementTimes] = await Promise.all([sentAt(followUps), sentAt(acknowledgements)]);
    const lastAcknowledgement = Math.max(...acknowledgementTimes);
    // In arrival order every acknowledgement would wait for all ten; first in line, they overtake
    // the follow-ups still waiting for the next window.
    expect(followUpTimes.filter((t) => t > lastAcknowledgement).length).toBeGreaterThanOrEqual(3);
  });

  it('whatsapp: the first contact is the approved template, later messages are text', async () => {
    const first = await send({ channel: 'whatsapp', recipient: '+420601000001' }).expect(202);
    await settled(first.body.id);
    const second = await send({ channel: 'whatsapp', recipient: '+420601000001', template: 'analysis-results', data: { ...data, summary: 'S', category: 'website', proposal: 'P' } }).expect(202);
    const view = await settled(second.body.id);
    const [templated, text] = whatsapp.sent().filter((b) => b.to === '420601000001');
    expect(templated).toMatchObject({ type: 'template', template: { name: 'statex_acknowledgement', language: { code: 'en' } } });
    expect(templated.template.components[0].parameters).toEqual([{ type: 'text', text: 'Jana Nováková' }, { type: 'text', text: 'REQ-42' }]);
    expect(text).toMatchObject({ type: 'text', text: { body: expect.stringContaining('website') } });
    expect(view.providerMessageId).toMatch(/^wamid\./);
  });

  it('whatsapp: a 5xx is retried', async () => {
    whatsapp.answerNext(WhatsAppCloudApiStandIn.serverError());
    const res = await send({ channel: 'whatsapp', recipient: '+420601000002' }).expect(202);
    const view = await settled(res.body.id);
    expect(view.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'sent']);
  });

  it('a permanent error fails at once; a failed notification can be retried', async () => {
    whatsapp.answerNext(WhatsAppCloudApiStandIn.invalidRecipient());
    const res = await send({ channel: 'whatsapp', recipient: '+420601000003' }).expect(202);
    const failed = await settled(res.body.id, 'failed');
    expect(failed.attempts).toHaveLength(1);
    expect(failed.lastError).toContain('131030');
    await post(`/api/notifications/${res.body.id}/retry`).expect(202);
    const view = await settled(res.body.id);
    expect(view.attempts.map((a: { outcome: string }) => a.outcome)).toEqual(['failed', 'sent']);
    await post(`/api/notifications/${res.body.id}/retry`).expect(409);
  });

  it('the journey falls back to email when the lead’s channel fails for good, and shows each hop', async () => {
    telegram.answerNext(TelegramBotApiStandIn.chatNotFound());
    const event: RequestCreatedEvent = {
      submissionId: randomUUID(),
      name: 'Petr Svoboda',
      email: 'petr@example.com',
      message: 'Mobile app please',
      contactChannel: 'telegram',
      telegramChatId: '999999',
      attachments: [],
      createdAt: new Date().toISOString(),
    };
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    const sent = await probe.waitForEvent(RoutingKey.NotificationSent, (m) => m.payload.correlationId === event.submissionId, 20_000);
    expect(sent.payload).toMatchObject({ channel: 'email', recipient: 'petr@example.com' });
    await smtp.waitForMail(event.submissionId);
    const view = (await get(`/api/notifications/${sent.payload.notificationId}`).expect(200)).body;
    expect(view.route).toEqual([{ channel: 'telegram', recipient: '999999' }, { channel: 'email', recipient: 'petr@example.com' }]);
    expect(view.attempts.map((a: { channel: string; outcome: string }) => `${a.channel}:${a.outcome}`)).toEqual(['telegram:failed', 'email:fallback', 'email:sent']);
    expect(view.attempts[0].error).toContain('chat not found');
  });

  it('sends the analysis results to the lead once the analysis completes', async () => {
    const submissionId = randomUUID();
    const created: RequestCreatedEvent = { submissionId, name: 'Eva', email: 'eva@example.com', message: 'Shop', contactChannel: 'email', locale: 'cs', attachments: [], createdAt: new Date().toISOString() };
    await probe.publish(RoutingKey.RequestCreated, created, { correlationId: submissionId });
    await smtp.waitForMail(submissionId);
    await probe.publish(
      RoutingKey.AiAnalysisCompleted,
      { workflowId: randomUUID(), submissionId, summary: 'Eshop s platbami.', category: 'e-commerce', confidence: 0.9, entities: {}, proposal: 'Navrhujeme…', completedAt: new Date().toISOString() },
      { correlationId: submissionId },
    );
    const results = await waitFor(() => smtp.find(submissionId).find((m) => m.subject?.startsWith('První pohled')), { what: 'the results email' });
    expect(results.text).toContain('Rozumíme, že hledáte e-shop (e-commerce).');
    expect(results.text).toContain('Eshop s platbami.');
    // One results message per lead: a re-run's completion updates the analysis, not the lead's inbox.
    await probe.publish(
      RoutingKey.AiAnalysisCompleted,
      { workflowId: randomUUID(), submissionId, run: 2, summary: 'Jiné shrnutí.', category: 'other', confidence: 0.2, entities: {}, proposal: '…', completedAt: new Date().toISOString() },
      { correlationId: submissionId },
    );
    const marker = { ...created, submissionId: randomUUID(), name: 'Marker' };
    await probe.publish(RoutingKey.RequestCreated, marker, { correlationId: marker.submissionId });
    await smtp.waitForMail(marker.submissionId);
    expect(smtp.find(submissionId).filter((m) => m.subject?.startsWith('První pohled'))).toHaveLength(1);
  });

  it('linkedin: a manual task from creation to completion, flagged overdue past its SLA', async () => {
    const res = await send({ channel: 'linkedin', recipient: 'https://www.linkedin.com/in/jana-novakova', correlationId: 'corr-li' }).expect(202);
    expect(res.body.status).toBe('manual_pending');
    await probe.waitForEvent(RoutingKey.NotificationManualPending, (m) => m.payload.notificationId === res.body.id);
    const view = (await get(`/api/notifications/${res.body.id}`).expect(200)).body;
    expect(view.manualTask).toMatchObject({ profileUrl: 'https://www.linkedin.com/in/jana-novakova', overdue: true, text: expect.stringContaining('Hello Jana Nováková') });
    const overdue = (await get('/api/notifications?overdue=true&channel=linkedin').expect(200)).body;
    expect(overdue.items.map((n: { id: string }) => n.id)).toContain(res.body.id);
    expect((await service.http.get('/metrics')).text).toMatch(/statex_notification_manual_overdue\{[^}]*\} [1-9]/);

    const badDate = await post(`/api/notifications/${res.body.id}/complete`).send({ completedBy: 'petra@statex.cz', completedAt: 'yesterday' }).expect(400);
    expect(badDate.body.message).toContain('completedAt must be an ISO 8601 date');
    await post(`/api/notifications/${res.body.id}/complete`).send({}).expect(400);
    const done = (await post(`/api/notifications/${res.body.id}/complete`).send({ completedBy: 'petra@statex.cz', note: 'sent via InMail' }).expect(200)).body;
    expect(done).toMatchObject({ status: 'manual_done', manualTask: { completedBy: 'petra@statex.cz', note: 'sent via InMail', overdue: false } });
    await probe.waitForEvent(RoutingKey.NotificationSent, (m) => m.payload.notificationId === res.body.id);
    await post(`/api/notifications/${res.body.id}/complete`).send({ completedBy: 'x' }).expect(409);
  });

  it('cancels a notification that is waiting to be sent', async () => {
    telegram.answerNext(TelegramBotApiStandIn.tooManyRequests(3));
    const res = await send({ channel: 'telegram', recipient: '555003' }).expect(202);
    await waitFor(async () => (await get(`/api/notifications/${res.body.id}`)).body.attempts.length === 1, { what: 'the first attempt' });
    const cancelled = (await post(`/api/notifications/${res.body.id}/cancel`).expect(200)).body;
    expect(cancelled.status).toBe('cancelled');
    await sleep(3500);
    expect(telegram.sent().filter((m) => m.chatId === '555003')).toHaveLength(1);
    expect((await get(`/api/notifications/${res.body.id}`)).body.status).toBe('cancelled');
  });

  it('lists with filters and pages', async () => {
    const page = (await get('/api/notifications?channel=telegram&pageSize=2&page=1').expect(200)).body;
    expect(page.pageSize).toBe(2);
    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThanOrEqual(3);
    expect(page.items.every((n: { channel: string }) => n.channel === 'telegram')).toBe(true);
    await get('/api/notifications?status=bogus').expect(400);
  });

  it('an idempotency key makes a repeated request create nothing', async () => {
    const key = randomUUID();
    const a = await send({ channel: 'email', recipient: 'same@example.com', idempotencyKey: key }).expect(202);
    const b = await send({ channel: 'email', recipient: 'same@example.com', idempotencyKey: key }).expect(202);
    expect(b.body.id).toBe(a.body.id);
  });

  it('refuses a recipient that does not fit its channel, an unknown template and unknown fields', async () => {
    expect((await send({ channel: 'whatsapp', recipient: '601 000 000' }).expect(400)).body.message).toContain('E.164');
    expect((await send({ channel: 'email', recipient: 'not-an-address' }).expect(400)).body.message).toContain('email address');
    expect((await send({ channel: 'linkedin', recipient: 'https://example.com/in/x' }).expect(400)).body.message).toContain('linkedin.com');
    expect((await send({ channel: 'email', recipient: 'a@example.com', template: 'nope' }).expect(400)).body.message).toContain('template "nope" does not exist');
    expect((await send({ channel: 'fax', recipient: 'a@example.com' }).expect(400)).body.message).toContain('channel must be one of');
    await send({ channel: 'email', recipient: 'a@example.com', priority: 'high' }).expect(400);
  });

  it.each(['email', 'telegram', 'whatsapp', 'linkedin'].flatMap((channel) => ['en', 'cs'].flatMap((locale) => ['acknowledgement', 'analysis-results'].map((t) => [t, channel, locale]))))(
    'renders %s for %s in %s',
    async (template, channel, locale) => {
      const res = await get(`/api/templates/${template}/preview?channel=${channel}&locale=${locale}`).expect(200);
      expect(res.body.text).toContain('Jana Nováková');
      expect(res.body.text).toContain('6b0d5f1e-8a43-4c55-9a2e-1f0c2d3e4b5a');
      expect(res.body.text).toContain(locale === 'cs' ? 'Dobrý den' : 'Hello');
      if (channel === 'email') {
        expect(res.body.subject).toContain('6b0d5f1e');
        expect(res.body.html).toContain('<html lang="' + locale + '"');
      }
      if (template === 'analysis-results') expect(res.body.text).toContain(locale === 'cs' ? 'Rozumíme, že hledáte e-shop (e-commerce).' : 'It looks like you are looking for an online shop (e-commerce).');
    },
  );

  it('answers 404 for an unknown template and 400 for an unknown channel in a preview', async () => {
    await get('/api/templates/nope/preview').expect(404);
    await get('/api/templates/acknowledgement/preview?channel=fax').expect(400);
  });

  it('reports channel configuration in readiness and serves the queue dashboard', async () => {
    const ready = (await service.http.get('/health/ready').expect(200)).body;
    expect(ready.details).toMatchObject({ channels: { status: 'up', email: 'configured', telegram: 'configured', whatsapp: 'configured' }, redis: { status: 'up' } });
    // The dashboard is for staff (apps/notification/test/access.e2e-spec.ts checks who else is turned away).
    const dashboard = await get('/queues').redirects(1);
    expect(dashboard.status).toBe(200);
    expect(dashboard.text).toContain('<html');
  });
});

describe('notification channels without credentials', () => {
  const namespace = uniqueNamespace('chx');
  const auth = new AuthStandIn();
  let service: ServiceUnderTest;
  let operator: Record<string, string>;

  beforeAll(async () => {
    await auth.start();
    operator = bearer(await auth.mint({ roles: ['operator'] }));
    service = await startServiceForTest(notificationService, testEnv(NotificationEnv, namespace, { ...auth.env, NOTIFICATION_BACKOFF_MS: 100 }));
  });

  afterAll(async () => {
    await service?.app.close();
    await auth.stop();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['notification']);
    await probe.stop();
  });

  it('stays ready, says which channels are not configured, and fails their notifications with that reason', async () => {
    const ready = await waitFor(async () => {
      const res = await service.http.get('/health/ready');
      return res.status === 200 && res.body;
    }, { what: 'readiness' });
    expect(ready.details.channels).toMatchObject({ status: 'up', telegram: 'not configured', whatsapp: 'not configured' });
    const res = await service.http.post('/api/notifications').set(operator).send({ channel: 'telegram', recipient: '42', template: 'acknowledgement', data }).expect(202);
    const view = await waitFor(async () => {
      const body = (await service.http.get(`/api/notifications/${res.body.id}`).set(operator)).body;
      return body.status === 'failed' && body;
    }, { what: 'failed' });
    expect(view.lastError).toBe('telegram is not configured: set TELEGRAM_BOT_TOKEN');
    expect(view.attempts).toHaveLength(1);
  });
});
