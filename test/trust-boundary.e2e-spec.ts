import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoutingKey } from '@statex/contracts';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, ServiceUnderTest, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { notificationService } from '../apps/notification/src/notification.app';
import { NotificationEnv } from '../apps/notification/src/notification.env';
import { submissionService } from '../apps/submission/src/submission.app';
import { SubmissionEnv } from '../apps/submission/src/submission.env';

/** The open doors of the accounts issue that span two services, each shown shut. */
describe('trust boundary across submission and notification (real PostgreSQL, RabbitMQ, Redis, SMTP)', () => {
  const namespace = uniqueNamespace('tb');
  const auth = new AuthStandIn();
  const smtp = new SmtpStandIn();
  const probe = new BrokerProbe(namespace);
  let submission: ServiceUnderTest;
  let notification: ServiceUnderTest;

  beforeAll(async () => {
    await Promise.all([auth.start(), smtp.start(), probe.start()]);
    submission = await startServiceForTest(submissionService, testEnv(SubmissionEnv, namespace, { ...auth.env, STORAGE_LOCAL_DIR: mkdtempSync(join(tmpdir(), 'statex-tb-')) }));
    notification = await startServiceForTest(notificationService, testEnv(NotificationEnv, namespace, { ...auth.env, SMTP_PORT: smtp.port }));
  });

  afterAll(async () => {
    await notification?.app.close();
    await submission?.app.close();
    await smtp.stop();
    await auth.stop();
    await removeTestNamespace(namespace);
    await probe.cleanup(['submission', 'notification']);
    await probe.stop();
  });

  const consumed = async (routingKey: string) => {
    const text = (await submission.http.get('/metrics').expect(200)).text;
    return [...text.matchAll(/^statex_messages_consumed_total\{([^}]*)\} (\d+)/gm)]
      .filter(([, labels]) => labels.includes(`routing_key="${routingKey}"`))
      .reduce((sum, [, , n]) => sum + Number(n), 0);
  };

  it('a results message sent over the API with a lead’s id as correlation id never moves that lead’s status', async () => {
    const accepted = await submission.http.post('/api/submissions').send({ name: 'Jana Nováková', email: 'jana@example.com', message: 'We need an e-shop.' }).expect(202);
    const id = accepted.body.id as string;
    // The journey's own acknowledgement moves the lead, as it should.
    const ack = await probe.waitForEvent(RoutingKey.NotificationSent, (m) => m.payload.correlationId === id && m.payload.template === 'acknowledgement');
    expect(ack.payload.journey).toBe(true);
    await waitFor(async () => (await submission.http.get(`/api/submissions/${id}`)).body.status === 'acknowledged', { what: 'the lead to be acknowledged' });

    const before = await consumed(RoutingKey.NotificationSent);
    const operator = await auth.mint({ roles: ['operator'] });
    const forged = await notification.http
      .post('/api/notifications')
      .set(bearer(operator))
      .send({ channel: 'email', recipient: 'someone@example.com', template: 'analysis-results', correlationId: id, data: { name: 'X', summary: 'S', category: 'website', proposal: 'P' } })
      .expect(202);
    const sent = await probe.waitForEvent(RoutingKey.NotificationSent, (m) => m.payload.notificationId === forged.body.id);
    expect(sent.payload.journey).not.toBe(true);
    // Submission has taken that event and let it go…
    await waitFor(async () => (await consumed(RoutingKey.NotificationSent)) > before, { what: 'submission to consume the notification.sent' });
    // …and the lead is where the journey left it.
    const view = await submission.http.get(`/api/submissions/${id}`).set(bearer(operator)).expect(200);
    expect(view.body.status).toBe('acknowledged');
    expect(view.body.timeline.map((t: { status: string }) => t.status)).not.toContain('answered');
  });

  it('no longer relays mail for anonymous callers, and lists no lead’s contact details to them', async () => {
    await notification.http.post('/api/notifications').send({ channel: 'email', recipient: 'victim@example.com', template: 'acknowledgement', data: {} }).expect(401);
    await notification.http.get('/api/notifications').expect(401);
    const accepted = await submission.http.post('/api/submissions').send({ name: 'Petr Svoboda', email: 'petr@example.com', phone: '+420601123456', message: 'A private message.' }).expect(202);
    const anonymous = await submission.http.get(`/api/submissions/${accepted.body.id}`).expect(200);
    expect(JSON.stringify(anonymous.body)).not.toMatch(/Petr|petr@example\.com|\+420601123456|A private message/);
    await submission.http.get('/api/submissions').expect(401);
    await submission.http.get('/api/submissions').set(bearer(await auth.mint({ roles: ['client'], email: 'other@example.com' }))).expect(200)
      .expect((res) => expect(res.body.items).toEqual([]));
  });
});
