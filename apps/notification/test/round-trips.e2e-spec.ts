import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { RoutingKey } from '@statex/contracts';
import { BrokerProbe, removeTestNamespace, PgStatementCounter, queryDatabase, ServiceUnderTest, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace } from '@statex/testing';
import { DeliveryProcessor } from '../src/delivery/delivery.processor';
import { notificationService } from '../src/notification.app';
import { NotificationEnv } from '../src/notification.env';
import { NotificationService } from '../src/notifications/notification.service';

/**
 * A regression guard for the acknowledgement's speed: the database round trips one acknowledgement
 * costs in notification, counted at the pg client for the statements issued while the request is
 * stored (`request.created`: inbox, erased-account check, lead contact and notification, in one
 * statement) and while it is delivered (taken for sending in one statement, then the attempt,
 * `sent` and `notification.sent` in another). The relay's publishing, after the commit, is outside.
 * If this grows, the journey got slower.
 */
describe('notification: database round trips per acknowledgement', () => {
  const namespace = uniqueNamespace('nrt');
  const smtp = new SmtpStandIn();
  const probe = new BrokerProbe(namespace);
  let counter: PgStatementCounter;
  let service: ServiceUnderTest;

  beforeAll(async () => {
    counter = new PgStatementCounter();
    // Everything each call does, across its awaits, is counted under its stage.
    counter.labelCalls(NotificationService.prototype, 'request', () => 'request');
    counter.labelCalls(DeliveryProcessor.prototype, 'process', () => 'delivery');
    await Promise.all([smtp.start(), probe.start()]);
    service = await startServiceForTest(notificationService, testEnv(NotificationEnv, namespace, { SMTP_PORT: smtp.port }));
  });

  afterAll(async () => {
    counter.restore();
    await service?.app.close();
    await smtp.stop();
    await removeTestNamespace(namespace);
    await probe.cleanup(['notification']);
    await probe.stop();
  });

  it('stores the request in one statement and records the delivery in two', async () => {
    const submissionId = randomUUID();
    await probe.publish(
      RoutingKey.RequestCreated,
      { submissionId, name: 'Jana', email: 'jana@example.com', message: 'We need an e-shop.', contactChannel: 'email', attachments: [], createdAt: new Date().toISOString() },
      { correlationId: submissionId },
    );
    await smtp.waitForMail(submissionId);
    const sent = await probe.waitForEvent(RoutingKey.NotificationSent, (m) => m.payload.correlationId === submissionId);
    expect({ request: counter.of('request'), delivery: counter.of('delivery') }).toEqual({
      request: [expect.stringContaining('WITH inbox_row AS')],
      delivery: [expect.stringContaining('WITH previous AS'), expect.stringContaining('WITH target AS')],
    });
    // And it is all there: the lead's contact, sent, one attempt, its event.
    const [lead] = await queryDatabase<{ email: string }>(`${namespace}_notification`, `SELECT email FROM lead_contacts WHERE submission_id = $1`, [submissionId]);
    expect(lead).toEqual({ email: 'jana@example.com' });
    const [row] = await queryDatabase<{ status: string; attempts: number; logged: number }>(
      `${namespace}_notification`,
      `SELECT n.status, n.attempts, (SELECT count(*) FROM notification_attempts a WHERE a.notification_id = n.id AND a.outcome = 'sent')::int AS logged FROM notifications n WHERE n.id = $1`,
      [sent.payload.notificationId],
    );
    expect(row).toEqual({ status: 'sent', attempts: 1, logged: 1 });
  });

  it('claims a delivery by its primary key, in the plan PostgreSQL keeps for it however the table has grown', async () => {
    // The claim as the delivery sent it (the first test's), planned as a prepared statement is after
    // a few runs: generically, from the statistics of the table at that moment. Planned on a young
    // table, it once joined through the status index, whose entries of every notification since the
    // last vacuum it then read (188 buffers a claim in a 50/s bench, against 20).
    const claim = counter.statements.find((s) => s.label === 'delivery' && s.text.includes('WITH previous AS'))?.text;
    expect(claim).toBeDefined();
    const client = new Client({ host: process.env.POSTGRES_HOST ?? '127.0.0.1', port: Number(process.env.POSTGRES_PORT ?? 5432), user: process.env.POSTGRES_USER ?? 'postgres', password: process.env.POSTGRES_PASSWORD ?? '', database: `${namespace}_notification` });
    await client.connect();
    try {
      await client.query(`PREPARE claim_plan (uuid, int, int) AS ${claim}`);
      await client.query('SET plan_cache_mode = force_generic_plan');
      const [{ 'QUERY PLAN': plan }] = (await client.query(`EXPLAIN (FORMAT JSON) EXECUTE claim_plan ('${randomUUID()}', 0, 0)`)).rows;
      const indexes = JSON.stringify(plan).match(/"Index Name":"[^"]+"/g) ?? [];
      expect(indexes).toEqual(['"Index Name":"notifications_pkey"', '"Index Name":"notifications_pkey"']);
    } finally {
      await client.end();
    }
  });
});
