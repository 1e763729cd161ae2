import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { RequestCreatedEvent, RoutingKey } from '@statex/contracts';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, queryDatabase, ServiceUnderTest, sleep, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { notificationService } from '../src/notification.app';
import { NotificationEnv } from '../src/notification.env';

function requestCreated(name = 'Jana Nováková'): RequestCreatedEvent {
  return {
    submissionId: randomUUID(),
    name,
    email: 'jana@example.com',
    message: 'We need a new e-shop.',
    contactChannel: 'email',
    attachments: [],
    statusUrl: 'http://forms.example.test/api/submissions/x',
    createdAt: new Date().toISOString(),
  };
}

describe('notification service: acknowledgement email (real SMTP, PostgreSQL, RabbitMQ)', () => {
  const namespace = uniqueNamespace('ntf');
  const smtp = new SmtpStandIn();
  const probe = new BrokerProbe(namespace);
  const auth = new AuthStandIn();
  let service: ServiceUnderTest;
  /** GET as an operator (the notification routes are for staff). */
  let staffGet: (path: string) => request.Test;

  beforeAll(async () => {
    await smtp.start();
    await probe.start();
    await auth.start();
    const env = testEnv(NotificationEnv, namespace, { ...auth.env, SMTP_PORT: smtp.port, SMTP_FROM: 'StateX <hello@statex.test>', NOTIFICATION_MAX_ATTEMPTS: 4, NOTIFICATION_BACKOFF_MS: 150 });
    service = await startServiceForTest(notificationService, env);
    const operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    staffGet = (path) => service.http.get(path).set(operator);
  });

  afterAll(async () => {
    await service?.app.close();
    await smtp.stop();
    await auth.stop();
    await removeTestNamespace(namespace);
    await probe.cleanup(['notification']);
    await probe.stop();
  });

  beforeEach(() => {
    smtp.mode = 'accept';
  });

  const notificationOf = async (submissionId: string) => {
    const sent = await probe.waitForEvent(RoutingKey.NotificationSent, (m) => m.payload.correlationId === submissionId);
    return (await staffGet(`/api/notifications/${sent.payload.notificationId}`).expect(200)).body;
  };

  it('emails the lead, naming them and quoting the request id, then emits notification.sent', async () => {
    const event = requestCreated();
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    const mail = await smtp.waitForMail(event.submissionId);
    expect(mail.to).toMatchObject({ text: 'jana@example.com' });
    expect(mail.from?.value[0]).toMatchObject({ name: 'StateX', address: 'hello@statex.test' });
    expect(mail.subject).toContain(event.submissionId);
    expect(mail.text).toContain('Hello Jana Nováková');
    expect(mail.html).toContain('Jana Nováková');

    const sent = await probe.waitForEvent(RoutingKey.NotificationSent, (m) => m.payload.correlationId === event.submissionId);
    expect(sent.payload).toMatchObject({ channel: 'email', template: 'acknowledgement', recipient: 'jana@example.com', providerMessageId: expect.any(String) });
    expect(sent.message.properties).toMatchObject({ correlationId: event.submissionId, appId: 'notification' });
    const view = await notificationOf(event.submissionId);
    expect(view).toMatchObject({ status: 'sent', channel: 'email', correlationId: event.submissionId, attempts: [{ outcome: 'sent' }] });
  });

  it('skips a contact its channel could never deliver to, and acknowledges on the fallback', async () => {
    // An event from before submission checked LinkedIn URLs as notification does.
    const event = { ...requestCreated('Company Page'), contactChannel: 'linkedin' as const, linkedinUrl: 'https://www.linkedin.com/company/acme' };
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    const mail = await smtp.waitForMail(event.submissionId);
    expect(mail.to).toMatchObject({ text: 'jana@example.com' });
    expect((await notificationOf(event.submissionId)).route).toEqual([{ channel: 'email', recipient: 'jana@example.com' }]);
  });

  it('sends nothing twice for a redelivered or repeated request.created', async () => {
    const event = requestCreated('Petr Svoboda');
    const messageId = randomUUID();
    await probe.publish(RoutingKey.RequestCreated, event, { messageId, correlationId: event.submissionId });
    await smtp.waitForMail(event.submissionId);
    await probe.publish(RoutingKey.RequestCreated, event, { messageId, correlationId: event.submissionId });
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    const marker = requestCreated('Marker');
    await probe.publish(RoutingKey.RequestCreated, marker, { correlationId: marker.submissionId });
    await smtp.waitForMail(marker.submissionId);
    await sleep(300);
    expect(smtp.find(event.submissionId)).toHaveLength(1);
    expect(probe.messages(RoutingKey.NotificationSent, (m) => m.payload.correlationId === event.submissionId)).toHaveLength(1);
  });

  it('retries while the SMTP server is down and delivers once it is back, recording each attempt', async () => {
    const port = smtp.port;
    await smtp.stop();
    const event = requestCreated('Eva Dvořáková');
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    // Back once two attempts have failed (not after a fixed time, which the backoff's jitter could straddle).
    const failedAttempts = async () =>
      (
        await queryDatabase<{ n: number }>(
          `${namespace}_notification`,
          "SELECT count(*)::int AS n FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id WHERE n.correlation_id = $1 AND a.outcome = 'failed'",
          [event.submissionId],
        )
      )[0].n;
    await waitFor(async () => (await failedAttempts()) >= 2, { what: 'two failed attempts', timeoutMs: 15_000 });
    await smtp.start(port);
    await smtp.waitForMail(event.submissionId);
    const view = await notificationOf(event.submissionId);
    expect(view.status).toBe('sent');
    const outcomes = view.attempts.map((a: { outcome: string }) => a.outcome);
    expect(outcomes.length).toBeGreaterThanOrEqual(2);
    expect(outcomes.at(-1)).toBe('sent');
    expect(outcomes.slice(0, -1).every((o: string) => o === 'failed')).toBe(true);
    expect(view.attempts[0].error).toContain(`127.0.0.1:${port}`);
  });

  it('fails at once on a permanent SMTP rejection and emits notification.failed', async () => {
    smtp.mode = 'permanent-failure';
    const event = requestCreated('Bounce');
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    const failed = await probe.waitForEvent(RoutingKey.NotificationFailed, (m) => m.payload.correlationId === event.submissionId);
    expect(failed.payload.reason).toContain('550');
    const view = (await staffGet(`/api/notifications/${failed.payload.notificationId}`).expect(200)).body;
    expect(view.status).toBe('failed');
    expect(view.attempts).toHaveLength(1);
  });

  it('emits notification.failed after its retries run out', async () => {
    smtp.mode = 'temporary-failure';
    const event = requestCreated('Always Later');
    await probe.publish(RoutingKey.RequestCreated, event, { correlationId: event.submissionId });
    const failed = await probe.waitForEvent(RoutingKey.NotificationFailed, (m) => m.payload.correlationId === event.submissionId, 15_000);
    expect(failed.payload.reason).toContain('451');
    const view = (await staffGet(`/api/notifications/${failed.payload.notificationId}`).expect(200)).body;
    expect(view.status).toBe('failed');
    expect(view.attempts).toHaveLength(4);
  });

  it('answers 404 and 400 for unknown and malformed notification ids', async () => {
    await staffGet(`/api/notifications/${randomUUID()}`).expect(404);
    await staffGet('/api/notifications/abc').expect(400);
  });
});
