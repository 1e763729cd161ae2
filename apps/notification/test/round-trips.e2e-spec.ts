import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { RoutingKey } from '@statex/contracts';
import { BrokerProbe, dropDatabases, queryDatabase, ServiceUnderTest, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { DeliveryProcessor } from '../src/delivery/delivery.processor';
import { notificationService } from '../src/notification.app';
import { NotificationEnv } from '../src/notification.env';
import { NotificationService } from '../src/notifications/notification.service';

/**
 * A regression guard for the acknowledgement's speed: the database round trips one acknowledgement
 * costs in notification, counted at the pg client for the statements issued while the request is
 * stored (`request.created`: inbox, erased-account check, lead contact, notification, in one
 * transaction) and while it is delivered (read, `sending`, and the attempt, `sent` and
 * `notification.sent` in one statement). The relay's publishing, after the commit, is outside.
 * If this grows, the journey got slower.
 */
describe('notification: database round trips per acknowledgement', () => {
  const namespace = uniqueNamespace('nrt');
  const smtp = new SmtpStandIn();
  const probe = new BrokerProbe(namespace);
  const counted = new AsyncLocalStorage<{ stage: 'request' | 'delivery' }>();
  const statements: Array<{ stage: string; text: string }> = [];
  const originalQuery = Client.prototype.query;
  const originalRequest = NotificationService.prototype.request;
  const originalProcess = DeliveryProcessor.prototype.process;
  let service: ServiceUnderTest;

  beforeAll(async () => {
    Client.prototype.query = function (this: Client, ...args: unknown[]) {
      const store = counted.getStore();
      const first = args[0] as string | { text?: string };
      if (store) statements.push({ stage: store.stage, text: typeof first === 'string' ? first : (first?.text ?? '?') });
      return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof Client.prototype.query;
    // Everything each call does, across its awaits, runs in its stage's store.
    NotificationService.prototype.request = function (this: NotificationService, ...args: Parameters<typeof originalRequest>) {
      return counted.run({ stage: 'request' }, () => originalRequest.apply(this, args));
    };
    DeliveryProcessor.prototype.process = function (this: DeliveryProcessor, ...args: Parameters<typeof originalProcess>) {
      return counted.run({ stage: 'delivery' }, () => originalProcess.apply(this, args));
    };
    await Promise.all([smtp.start(), probe.start()]);
    service = await startServiceForTest(notificationService, testEnv(NotificationEnv, namespace, { SMTP_PORT: smtp.port }));
  });

  afterAll(async () => {
    Client.prototype.query = originalQuery;
    NotificationService.prototype.request = originalRequest;
    DeliveryProcessor.prototype.process = originalProcess;
    await service?.app.close();
    await smtp.stop();
    await dropDatabases(`${namespace}_`);
    await probe.cleanup(['notification']);
    await probe.stop();
  });

  it('stores the request in one transaction of six statements and records the delivery in three', async () => {
    const submissionId = randomUUID();
    await probe.publish(
      RoutingKey.RequestCreated,
      { submissionId, name: 'Jana', email: 'jana@example.com', message: 'We need an e-shop.', contactChannel: 'email', attachments: [], createdAt: new Date().toISOString() },
      { correlationId: submissionId },
    );
    await smtp.waitForMail(submissionId);
    const sent = await probe.waitForEvent(RoutingKey.NotificationSent, (m) => m.payload.correlationId === submissionId);
    const of = (stage: string) => statements.filter((s) => s.stage === stage).map((s) => s.text.replace(/\s+/g, ' ').slice(0, 50));
    expect({ request: of('request'), delivery: of('delivery') }).toEqual({
      request: [
        'START TRANSACTION',
        expect.stringContaining('INSERT INTO inbox_messages'),
        expect.stringContaining('erased_accounts'),
        expect.stringContaining('INSERT INTO "lead_contacts"'),
        expect.stringContaining('INSERT INTO "notifications"'),
        'COMMIT',
      ],
      delivery: [expect.stringContaining('SELECT'), expect.stringContaining('UPDATE'), expect.stringContaining('WITH target AS')],
    });
    // And it is all there: sent, one attempt, its event.
    const [row] = await queryDatabase<{ status: string; attempts: number; logged: number }>(
      `${namespace}_notification`,
      `SELECT n.status, n.attempts, (SELECT count(*) FROM notification_attempts a WHERE a.notification_id = n.id AND a.outcome = 'sent')::int AS logged FROM notifications n WHERE n.id = $1`,
      [sent.payload.notificationId],
    );
    expect(row).toEqual({ status: 'sent', attempts: 1, logged: 1 });
  });
});
