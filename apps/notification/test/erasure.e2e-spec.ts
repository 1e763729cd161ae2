import { randomUUID } from 'node:crypto';
import { RoutingKey } from '@statex/contracts';
import { databaseNameFor } from '@statex/persistence';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, queryDatabase, ServiceUnderTest, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { notificationService } from '../src/notification.app';
import { NotificationEnv } from '../src/notification.env';

const ERASED = '[erased]';
/** The tables of notification's database that can hold an address. */
const TABLES = ['notifications', 'notification_attempts', 'outbox_messages'] as const;

interface Row {
  id: string;
  template: string;
  status: string;
  recipient: string;
  route: { channel: string; recipient: string }[];
  data: Record<string, unknown>;
  erased_at: Date | null;
  updated_at: Date;
}

/**
 * `user.deleted` on notification (real PostgreSQL, RabbitMQ, Redis, SMTP): the account's messages
 * and every message to its address lose the address and what they said, once per event, including
 * one being sent at that moment and one that arrives after the account is gone.
 */
describe('notification: a deleted account is erased from what it holds', () => {
  const namespace = uniqueNamespace('era');
  const auth = new AuthStandIn();
  const smtp = new SmtpStandIn();
  const probe = new BrokerProbe(namespace);
  let service: ServiceUnderTest;
  let database: string;
  let operator: Record<string, string>;

  const rows = <T = Row>(sql: string, params: unknown[] = []) => queryDatabase<T>(database, sql, params);
  const byId = async (id: string) => (await rows('SELECT * FROM notifications WHERE id = $1', [id]))[0];
  const notificationsOf = (userId: string) =>
    rows(`SELECT * FROM notifications WHERE correlation_id = $1 ORDER BY created_at`, [userId]);
  /** How many rows of each table mention `text` anywhere (every column, as text, whatever its case). */
  const mentions = async (text: string) => {
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      counts[table] = (await rows<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} t WHERE strpos(lower(t::text), lower($1)) > 0`, [text]))[0].n;
    }
    return counts;
  };
  const none = Object.fromEntries(TABLES.map((t) => [t, 0]));
  /** As user-portal asks for an account email: `notification.requested`, correlated by the user id. */
  const accountMail = (userId: string, email: string, template: string, data: Record<string, unknown>) =>
    probe.publish(
      RoutingKey.NotificationRequested,
      { channel: 'email', recipient: email, template, locale: 'en', data, idempotencyKey: `user-portal:${template}:${randomUUID()}`, correlationId: userId },
      { correlationId: userId },
    );
  const userDeleted = (userId: string, email: string, messageId?: string) =>
    probe.publish(RoutingKey.UserDeleted, { userId, email, by: 'self', deletedAt: new Date().toISOString() }, { correlationId: userId, messageId });
  const consumed = async (routingKey: string) => {
    const { text } = await service.http.get('/metrics').expect(200);
    return [...text.matchAll(/^statex_messages_consumed_total\{([^}]*)\} (\d+)/gm)]
      .filter(([, labels]) => labels.includes(`routing_key="${routingKey}"`))
      .reduce((sum, [, , n]) => sum + Number(n), 0);
  };
  const status = (id: string, wanted: (row: Row) => boolean, what: string) => waitFor(async () => wanted(await byId(id)), { what, timeoutMs: 20_000 });
  const idOfRequest = (userId: string, template: string) =>
    waitFor(async () => (await rows(`SELECT * FROM notifications WHERE correlation_id = $1 AND template = $2`, [userId, template]))[0]?.id, { what: `the ${template} notification` });

  beforeAll(async () => {
    await Promise.all([auth.start(), smtp.start(), probe.start()]);
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));
    // A long backoff: a message refused once stays queued for the rest of the test.
    const env = testEnv(NotificationEnv, namespace, { ...auth.env, SMTP_PORT: smtp.port, NOTIFICATION_BACKOFF_MS: 20_000 });
    database = databaseNameFor(env, 'notification');
    service = await startServiceForTest(notificationService, env);
  });

  afterAll(async () => {
    await service?.app.close();
    await Promise.all([auth.stop(), smtp.stop()]);
    await removeTestNamespace(namespace);
    await probe.cleanup(['notification']);
    await probe.stop();
  });

  const userId = randomUUID();
  const email = `jana.${randomUUID().slice(0, 8)}@example.com`;
  const linkToken = `tok${randomUUID().replace(/-/g, '')}`;
  let deletedMessageId: string;
  let control: string;
  let failed: string;
  let queued: string;

  it('erases every message of the account and to its address: recipient, route, data, the address in errors; the rows stay for counts, what was still to send is cancelled, others are untouched', async () => {
    // Sent: the account's verification email (with its link), and a message to the same address sent over the API, spelled in capitals.
    await accountMail(userId, email, 'account-verification', { name: 'Jana Nováková', verifyUrl: `http://accounts.example.test/verify-email?token=${linkToken}`, expiresInHours: 24 });
    await smtp.waitForMail(linkToken);
    const direct = (await service.http.post('/api/notifications').set(operator).send({ channel: 'email', recipient: email.toUpperCase(), template: 'acknowledgement', data: { name: 'Jana Nováková', requestId: 'ERA-DIRECT' } }).expect(202)).body.id as string;
    control = (await service.http.post('/api/notifications').set(operator).send({ channel: 'email', recipient: 'someone.else@example.com', template: 'acknowledgement', data: { name: 'Petr Svoboda', requestId: 'ERA-CONTROL' } }).expect(202)).body.id as string;
    await smtp.waitForMail('ERA-DIRECT');
    await smtp.waitForMail('ERA-CONTROL');
    // Failed for good (the server refuses it), and one the server turned away for now: queued for a retry.
    smtp.mode = 'permanent-failure';
    await accountMail(userId, email, 'password-changed', { name: 'Jana Nováková', forgotPasswordUrl: 'http://accounts.example.test/forgot-password' });
    failed = await idOfRequest(userId, 'password-changed');
    await status(failed, (n) => n.status === 'failed', 'the refused message to fail');
    smtp.mode = 'temporary-failure';
    await accountMail(userId, email, 'password-reset', { name: 'Jana Nováková', resetUrl: `http://accounts.example.test/reset-password?token=${linkToken}`, expiresInMinutes: 60 });
    queued = await idOfRequest(userId, 'password-reset');
    await waitFor(async () => (await rows<{ n: number }>('SELECT count(*)::int AS n FROM notification_attempts WHERE notification_id = $1', [queued]))[0].n > 0 && (await byId(queued)).status === 'queued', { what: 'a first refused attempt' });
    smtp.mode = 'accept';
    // A provider that names the address in its refusal.
    await rows(`UPDATE notification_attempts SET error = $2 WHERE notification_id = $1`, [failed, `550 5.1.1 <${email}>: mailbox unavailable`]);
    expect((await mentions(email)).notification_attempts).toBeGreaterThan(0);
    expect((await mentions(email)).outbox_messages).toBeGreaterThan(0); // notification.sent / failed name the recipient

    deletedMessageId = await userDeleted(userId, email);
    await waitFor(async () => (await byId(queued)).erased_at !== null, { what: 'the erasure' });

    expect(await mentions(email)).toEqual(none);
    expect(await mentions(linkToken)).toEqual(none);
    expect(await mentions('Jana Nováková')).toEqual(none);
    const erased = await rows(`SELECT * FROM notifications WHERE erased_at IS NOT NULL ORDER BY created_at`);
    expect(erased.map((n) => [n.id, n.template, n.status])).toEqual([
      [expect.any(String), 'account-verification', 'sent'],
      [direct, 'acknowledgement', 'sent'],
      [failed, 'password-changed', 'failed'],
      [queued, 'password-reset', 'cancelled'],
    ]);
    for (const n of erased) {
      expect(n).toMatchObject({ recipient: ERASED, data: {}, route: [{ channel: 'email', recipient: ERASED }] });
    }
    const attempts = await rows<{ recipient: string; error: string | null }>(`SELECT recipient, error FROM notification_attempts WHERE notification_id = ANY($1::uuid[])`, [erased.map((n) => n.id)]);
    expect(attempts.length).toBeGreaterThanOrEqual(4);
    expect(attempts.every((a) => a.recipient === ERASED)).toBe(true);
    expect(attempts.map((a) => a.error)).toContain(`550 5.1.1 <${ERASED}>: mailbox unavailable`);
    // The listing shows what is left; nothing is sent again to no one.
    const view = (await service.http.get(`/api/notifications/${failed}`).set(operator).expect(200)).body;
    expect(view).toMatchObject({ recipient: ERASED, template: 'password-changed', status: 'failed' });
    const retry = await service.http.post(`/api/notifications/${failed}/retry`).set(operator).expect(409);
    expect(retry.body.message).toMatch(/erased when its recipient’s account was deleted/);

    expect(await byId(control)).toMatchObject({ recipient: 'someone.else@example.com', data: { name: 'Petr Svoboda', requestId: 'ERA-CONTROL' }, erased_at: null, status: 'sent' });
  });

  it('erases once per message: a redelivered user.deleted changes nothing (inbox)', async () => {
    const before = await rows(`SELECT id, updated_at FROM notifications WHERE erased_at IS NOT NULL ORDER BY id`);
    const handled = await consumed(RoutingKey.UserDeleted);
    await userDeleted(userId, email, deletedMessageId);
    await waitFor(async () => (await consumed(RoutingKey.UserDeleted)) > handled, { what: 'the redelivery to be handled' });
    expect(await rows(`SELECT id, updated_at FROM notifications WHERE erased_at IS NOT NULL ORDER BY id`)).toEqual(before);
    const markers = await rows<{ n: number }>(`SELECT count(*)::int AS n FROM inbox_messages WHERE consumer = 'notification.user-deleted' AND message_id = $1`, [deletedMessageId]);
    expect(markers[0].n).toBe(1);
  });

  it('stores nothing for a message of the erased account that arrives late (a retry, a replay from the DLQ)', async () => {
    const handled = await consumed(RoutingKey.NotificationRequested);
    const mails = smtp.messages.length;
    await accountMail(userId, email, 'account-verification', { name: 'Jana Nováková', verifyUrl: `http://accounts.example.test/verify-email?token=late${linkToken}`, expiresInHours: 24 });
    await waitFor(async () => (await consumed(RoutingKey.NotificationRequested)) > handled, { what: 'the late message to be handled' });
    expect(await mentions(email)).toEqual(none);
    expect(await rows(`SELECT id FROM notifications WHERE correlation_id = $1 AND erased_at IS NULL`, [userId])).toEqual([]);
    // A message to someone else is still sent as ever.
    await accountMail(randomUUID(), 'new.person@example.com', 'account-verification', { name: 'Eva', verifyUrl: 'http://accounts.example.test/verify-email?token=eva', expiresInHours: 24 });
    await smtp.waitForMail('token=eva');
    expect(smtp.messages.slice(mails).some((m) => (m.text ?? '').includes(`late${linkToken}`))).toBe(false);
  });

  it('records a message being sent at the moment of deletion as sent, without writing the address back', async () => {
    const other = randomUUID();
    const address = `sending.${randomUUID().slice(0, 8)}@example.com`;
    smtp.delayMs = 2500;
    try {
      await accountMail(other, address, 'account-verification', { name: 'Jana Nováková', verifyUrl: 'http://accounts.example.test/verify-email?token=inflight', expiresInHours: 24 });
      const id = await idOfRequest(other, 'account-verification');
      await status(id, (n) => n.status === 'sending', 'the message to be on its way');
      await userDeleted(other, address);
      await status(id, (n) => n.erased_at !== null, 'the erasure');
      await status(id, (n) => n.status === 'sent', 'the server to take it');
      const sent = await probe.waitForEvent(RoutingKey.NotificationSent, (m) => m.payload.notificationId === id);
      expect(sent.payload.recipient).toBe(ERASED);
      expect(await mentions(address)).toEqual(none);
      expect((await notificationsOf(other)).map((n) => n.recipient)).toEqual([ERASED]);
    } finally {
      smtp.delayMs = 0;
    }
  });
});
