import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { RoutingKey } from '@statex/contracts';
import { databaseNameFor } from '@statex/persistence';
import { bearer, BrokerProbe, removeTestNamespace, queryDatabase, ServiceUnderTest, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { loggingService } from '../apps/logging/src/logging.app';
import { LoggingEnv } from '../apps/logging/src/logging.env';
import { deleteLogTopology } from '../apps/logging/test/log-broker-cleanup';
import { notificationService } from '../apps/notification/src/notification.app';
import { NotificationEnv } from '../apps/notification/src/notification.env';
import { userPortalService } from '../apps/user-portal/src/user-portal.app';
import { UserPortalEnv } from '../apps/user-portal/src/user-portal.env';

const ADMIN = { email: 'admin@statex.test', password: 'Admin-test-password-42' };
const PASSWORD = 'correct horse battery staple';
const ERASED = '[erased]';

/**
 * Deleting an account removes its personal data everywhere, not only in user-portal: user-portal,
 * notification and logging in one process each, on the real PostgreSQL, RabbitMQ and Redis, with
 * the emails read from a real SMTP server.
 */
describe('account deletion erases the account from user-portal, notification and logging', () => {
  const namespace = uniqueNamespace('del');
  const smtp = new SmtpStandIn();
  const probe = new BrokerProbe(namespace);
  let portal: ServiceUnderTest;
  let notification: ServiceUnderTest;
  let logging: ServiceUnderTest;
  let http: ReturnType<typeof request>;
  const db = { portal: '', notification: '', logging: '' };

  /** Rows of `table` that mention `text` anywhere (every column as text, whatever its case). */
  const mentioning = async (database: string, table: string, text: string) =>
    (await queryDatabase<{ n: number }>(database, `SELECT count(*)::int AS n FROM ${table} t WHERE strpos(lower(t::text), lower($1)) > 0`, [text]))[0].n;
  const tokenOf = (text: string | undefined) => /[?&]token=([A-Za-z0-9_-]+)/.exec(text ?? '')?.[1];
  const consumed = async (routingKey: string) => {
    // The three services share this process's metrics registry: the count is theirs together.
    const { text } = await notification.http.get('/metrics').expect(200);
    return [...text.matchAll(/^statex_messages_consumed_total\{([^}]*)\} (\d+)/gm)]
      .filter(([, labels]) => labels.includes(`routing_key="${routingKey}"`))
      .reduce((sum, [, , n]) => sum + Number(n), 0);
  };

  beforeAll(async () => {
    await Promise.all([smtp.start(), probe.start()]);
    const portalEnv = testEnv(UserPortalEnv, namespace, { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ACCOUNT_LINKS_BASE_URL: 'http://accounts.example.test', AUTH_KEY_PUBLISH_AHEAD_S: 0 });
    portal = await startServiceForTest(userPortalService, portalEnv);
    await portal.app.listen(0, '127.0.0.1');
    const portalUrl = `http://127.0.0.1:${(portal.app.getHttpServer().address() as AddressInfo).port}`;
    http = request(portalUrl);
    const trust = { USER_PORTAL_URL: portalUrl, AUTH_ISSUER: portalEnv.AUTH_ISSUER };
    const notificationEnv = testEnv(NotificationEnv, namespace, { ...trust, SMTP_PORT: smtp.port });
    notification = await startServiceForTest(notificationService, notificationEnv);
    const loggingEnv = testEnv(LoggingEnv, namespace, trust);
    logging = await startServiceForTest(loggingService, loggingEnv);
    db.portal = databaseNameFor(portalEnv, 'user-portal');
    db.notification = databaseNameFor(notificationEnv, 'notification');
    db.logging = databaseNameFor(loggingEnv, 'logging');
  });

  afterAll(async () => {
    await logging?.app.close();
    await notification?.app.close();
    await portal?.app.close();
    await smtp.stop();
    await removeTestNamespace(namespace);
    await deleteLogTopology(namespace);
    await probe.cleanup(['user-portal', 'notification', 'logging']);
    await probe.stop();
  });

  const email = `jana.${randomUUID().slice(0, 8)}@example.com`;
  let userId: string;
  let verifyToken: string;
  let resetToken: string;

  it('register, verify, a reset link and a message over the API; then DELETE /api/users/me: no database holds the address or the link tokens, the rows that count stay', async () => {
    let since = smtp.messages.length;
    await http.post('/api/auth/register').send({ email, password: PASSWORD, name: 'Jana Nováková', locale: 'en' }).expect(202);
    const verification = await waitFor(() => smtp.messages.slice(since).find((m) => tokenOf(m.text) && m.text!.includes('verify-email')), { what: 'the verification email' });
    verifyToken = tokenOf(verification.text)!;
    await http.post('/api/auth/verify').send({ token: verifyToken }).expect(200);
    since = smtp.messages.length;
    await http.post('/api/auth/forgot-password').send({ email }).expect(202);
    const reset = await waitFor(() => smtp.messages.slice(since).find((m) => m.text?.includes('reset-password?token=')), { what: 'the reset email' });
    resetToken = tokenOf(reset.text)!;
    const admin = (await http.post('/api/auth/login').send(ADMIN).expect(200)).body.accessToken as string;
    await notification.http.post('/api/notifications').set(bearer(admin)).send({ channel: 'email', recipient: email.toUpperCase(), template: 'acknowledgement', data: { name: 'Jana Nováková', requestId: 'DEL-API' } }).expect(202);
    await notification.http.post('/api/notifications').set(bearer(admin)).send({ channel: 'email', recipient: 'someone.else@example.com', template: 'acknowledgement', data: { name: 'Petr Svoboda', requestId: 'DEL-CONTROL' } }).expect(202);
    await smtp.waitForMail('DEL-API');
    await smtp.waitForMail('DEL-CONTROL');

    const login = await http.post('/api/auth/login').send({ email, password: PASSWORD }).expect(200);
    userId = (await http.get('/api/users/me').set(bearer(login.body.accessToken)).expect(200)).body.id;
    // Before: the address and the links are in notification's and logging's databases.
    expect(await mentioning(db.notification, 'notifications', email)).toBeGreaterThanOrEqual(3);
    expect(await mentioning(db.notification, 'notifications', verifyToken)).toBe(1);
    await waitFor(async () => (await mentioning(db.logging, 'domain_events', email)) >= 4, { what: 'the account’s events in the event log' });

    await http.delete('/api/users/me').set(bearer(login.body.accessToken)).expect(204);

    // Wait until both consumers have applied user.deleted and everything published before it has arrived.
    await waitFor(async () => (await queryDatabase(db.notification, `SELECT 1 FROM inbox_messages WHERE consumer = 'notification.user-deleted'`)).length === 1, { what: 'notification to erase' });
    await waitFor(async () => (await queryDatabase(db.logging, `SELECT 1 FROM domain_events WHERE routing_key = $1 AND correlation_id = $2`, [RoutingKey.UserDeleted, userId])).length === 1, { what: 'logging to erase' });
    const sent = await queryDatabase<{ id: string }>(db.notification, `SELECT id FROM notifications WHERE erased_at IS NOT NULL AND status = 'sent'`);
    await waitFor(async () => (await queryDatabase(db.notification, `SELECT 1 FROM outbox_messages WHERE published_at IS NULL`)).length === 0, { what: 'notification’s outbox to be published' });
    await waitFor(
      async () => (await queryDatabase(db.logging, `SELECT 1 FROM domain_events WHERE routing_key = $1 AND payload->>'notificationId' = ANY($2::text[])`, [RoutingKey.NotificationSent, sent.map((s) => s.id)])).length === sent.length,
      { what: 'every notification.sent of the account in the event log' },
    );

    for (const text of [email, verifyToken, resetToken, 'Jana Nováková']) {
      for (const table of ['notifications', 'notification_attempts', 'outbox_messages']) expect({ table, text, rows: await mentioning(db.notification, table, text) }).toEqual({ table, text, rows: 0 });
      expect({ table: 'domain_events', text, rows: await mentioning(db.logging, 'domain_events', text) }).toEqual({ table: 'domain_events', text, rows: 0 });
      // user-portal keeps only the user.deleted message itself in its outbox, until it is pruned.
      for (const table of ['users', 'sessions', 'one_time_tokens']) expect(await mentioning(db.portal, table, text)).toBe(0);
      expect((await queryDatabase(db.portal, `SELECT 1 FROM outbox_messages o WHERE routing_key <> $2 AND strpos(lower(o::text), lower($1)) > 0`, [text, RoutingKey.UserDeleted])).length).toBe(0);
    }

    // What counts stays: the account's messages, without their recipient and data…
    const kept = await queryDatabase<{ template: string; recipient: string; data: object }>(db.notification, `SELECT template, recipient, data FROM notifications WHERE erased_at IS NOT NULL ORDER BY created_at`);
    expect(kept.map((n) => n.template)).toEqual(['account-verification', 'password-reset', 'acknowledgement']);
    expect(kept.every((n) => n.recipient === ERASED && JSON.stringify(n.data) === '{}')).toBe(true);
    // …and its events, by routing key and time.
    const events = await queryDatabase<{ routing_key: string; payload: Record<string, unknown> }>(db.logging, `SELECT routing_key, payload FROM domain_events WHERE correlation_id = $1 ORDER BY published_at`, [userId]);
    expect(new Set(events.map((e) => e.routing_key))).toEqual(new Set([RoutingKey.UserRegistered, RoutingKey.UserVerified, RoutingKey.NotificationRequested, RoutingKey.NotificationSent, RoutingKey.UserDeleted]));
    expect(events.find((e) => e.routing_key === RoutingKey.UserDeleted)!.payload).toMatchObject({ userId, email: ERASED, by: 'self' });
    expect(events.filter((e) => e.routing_key === RoutingKey.NotificationRequested).every((e) => e.payload.recipient === ERASED && JSON.stringify(e.payload.data) === '{}')).toBe(true);

    // Someone else's message is as it was, everywhere.
    expect(await mentioning(db.notification, 'notifications', 'someone.else@example.com')).toBe(1);
    expect(await mentioning(db.notification, 'notifications', 'Petr Svoboda')).toBe(1);
    await waitFor(async () => (await mentioning(db.logging, 'domain_events', 'someone.else@example.com')) === 1, { what: 'the other message’s event' });
  });

  it('a message of the deleted account that arrives late (a replay from a dead-letter queue) is not sent, and is logged erased', async () => {
    const handled = await consumed(RoutingKey.NotificationRequested);
    const late = `late${randomUUID().replace(/-/g, '')}`;
    const messageId = await probe.publish(
      RoutingKey.NotificationRequested,
      { channel: 'email', recipient: email, template: 'account-verification', locale: 'en', data: { name: 'Jana Nováková', verifyUrl: `http://accounts.example.test/verify-email?token=${late}` }, correlationId: userId },
      { correlationId: userId },
    );
    // notification and logging both take it.
    await waitFor(async () => (await consumed(RoutingKey.NotificationRequested)) >= handled + 2, { what: 'both consumers to handle the late message' });
    const stored = await queryDatabase<{ payload: Record<string, unknown> }>(db.logging, `SELECT payload FROM domain_events WHERE message_id = $1`, [messageId]);
    expect(stored[0].payload).toMatchObject({ recipient: ERASED, data: {}, template: 'account-verification' });
    expect(await mentioning(db.logging, 'domain_events', email)).toBe(0);
    expect(await mentioning(db.notification, 'notifications', email)).toBe(0);
    expect(smtp.find(late)).toEqual([]);
  });
});
