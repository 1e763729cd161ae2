import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { ParsedMail } from 'mailparser';
import { Client } from 'pg';
import request from 'supertest';
import { ConfigValidationError, loadEnv } from '@statex/config';
import { RoutingKey } from '@statex/contracts';
import { bearer, BrokerProbe, removeTestNamespace, queryDatabase, ServiceUnderTest, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { notificationService } from '../apps/notification/src/notification.app';
import { NotificationEnv } from '../apps/notification/src/notification.env';
import { AfterAnswer } from '../apps/user-portal/src/accounts/after-answer';
import { SigningKeys } from '../apps/user-portal/src/keys/signing-keys.service';
import { userPortalService } from '../apps/user-portal/src/user-portal.app';
import { DEV_ADMIN_PASSWORD, DEV_KEYS_SECRET, UserPortalEnv } from '../apps/user-portal/src/user-portal.env';

const ADMIN = { email: 'admin@statex.test', password: 'Admin-test-password-42' };
const PASSWORD = 'correct horse battery staple';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
const headerOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()) as Record<string, unknown>;

describe('user-portal: accounts, tokens and sessions, with emails read from a real SMTP server', () => {
  const namespace = uniqueNamespace('usr');
  const smtp = new SmtpStandIn();
  const probe = new BrokerProbe(namespace);
  let env: UserPortalEnv;
  let portal: ServiceUnderTest;
  let portalUrl: string;
  let notification: ServiceUnderTest;
  let http: ReturnType<typeof request>;

  /** On the same port after a restart: notification keeps its USER_PORTAL_URL. */
  const startPortal = async () => {
    portal = await startServiceForTest(userPortalService, env);
    await portal.app.listen(portalUrl ? Number(new URL(portalUrl).port) : 0, '127.0.0.1');
    portalUrl = `http://127.0.0.1:${(portal.app.getHttpServer().address() as AddressInfo).port}`;
    http = request(portalUrl);
  };

  /** The email of `template` sent to `to` after `since` messages, with the link's token. */
  const mailTo = async (to: string, subjectPart: RegExp, since = 0): Promise<ParsedMail & { token?: string }> => {
    const mail = await waitFor(() => smtp.messages.slice(since).find((m) => (m.to as { text: string } | undefined)?.text.includes(to) && subjectPart.test(m.subject ?? '')), {
      timeoutMs: 20_000,
      what: `an email to ${to} matching ${subjectPart}`,
    });
    const token = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '')?.[1];
    return Object.assign(mail, { token });
  };

  const register = async (email: string, name = 'Jana Nováková') => {
    const since = smtp.messages.length;
    await http.post('/api/auth/register').send({ email, password: PASSWORD, name, locale: 'en' }).expect(202);
    const mail = await mailTo(email, /confirm|verif/i, since);
    return mail.token!;
  };

  const signUp = async (email = `${randomUUID()}@example.com`) => {
    const token = await register(email);
    await http.post('/api/auth/verify').send({ token }).expect(200);
    const login = await http.post('/api/auth/login').send({ email, password: PASSWORD }).expect(200);
    return { email, ...(login.body as { accessToken: string; refreshToken: string }) };
  };

  const adminToken = async () => (await http.post('/api/auth/login').send(ADMIN).expect(200)).body.accessToken as string;

  beforeAll(async () => {
    await smtp.start();
    await probe.start();
    env = testEnv(UserPortalEnv, namespace, {
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      ACCOUNT_LINKS_BASE_URL: 'http://accounts.example.test',
      AUTH_RATE_LIMIT_IP_PER_WINDOW: 1000,
      AUTH_RATE_LIMIT_ACCOUNT_PER_WINDOW: 12,
      AUTH_RATE_LIMIT_WINDOW_S: 3,
      AUTH_KEY_PUBLISH_AHEAD_S: 0,
      AUTH_SERVICE_CLIENTS: 'crm-sync:crm-sync-secret-0123456789',
    });
    await startPortal();
    notification = await startServiceForTest(
      notificationService,
      testEnv(NotificationEnv, namespace, { SMTP_PORT: smtp.port, USER_PORTAL_URL: portalUrl, AUTH_ISSUER: env.AUTH_ISSUER }),
    );
  });

  afterAll(async () => {
    await notification?.app.close();
    await portal?.app.close();
    await smtp.stop();
    await removeTestNamespace(namespace);
    await probe.cleanup(['user-portal', 'notification']);
    await probe.stop();
  });

  it('publishes its signing key at /.well-known/jwks.json: Ed25519 public halves only', async () => {
    const jwks = await http.get('/.well-known/jwks.json').expect(200);
    expect(jwks.body.keys.length).toBeGreaterThanOrEqual(1);
    for (const key of jwks.body.keys) {
      expect(key).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: expect.any(String) });
      expect(key.d).toBeUndefined();
    }
    const stored = await queryDatabase<{ private_key_encrypted: string }>(`${namespace}_user_portal`, 'SELECT private_key_encrypted FROM signing_keys');
    expect(stored[0].private_key_encrypted).toMatch(/^v1\./);
    expect(stored[0].private_key_encrypted).not.toContain('"d"');
  });

  it('registers, emails a single-use verification link, verifies, and signs in with the claims other services need', async () => {
    const email = `${randomUUID()}@example.com`;
    const token = await register(email);
    const registered = await probe.waitForEvent(RoutingKey.UserRegistered, (m) => m.payload.email === email);
    expect(registered.payload).toMatchObject({ userId: expect.any(String), email });

    const before = await http.post('/api/auth/login').send({ email, password: PASSWORD }).expect(200);
    expect(claimsOf(before.body.accessToken).email_verified).toBe(false);

    await http.post('/api/auth/verify').send({ token }).expect(200);
    await http.post('/api/auth/verify').send({ token }).expect(400); // single use
    await probe.waitForEvent(RoutingKey.UserVerified, (m) => m.payload.email === email);

    const login = await http.post('/api/auth/login').send({ email: email.toUpperCase(), password: PASSWORD }).expect(200);
    expect(login.body).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
    expect(headerOf(login.body.accessToken)).toMatchObject({ alg: 'EdDSA', kid: expect.any(String) });
    const claims = claimsOf(login.body.accessToken);
    expect(claims).toMatchObject({ sub: registered.payload.userId, email, email_verified: true, roles: ['client'], iss: env.AUTH_ISSUER, aud: env.AUTH_AUDIENCE });
    expect((claims.exp as number) - (claims.iat as number)).toBe(900);

    const me = await http.get('/api/users/me').set(bearer(login.body.accessToken)).expect(200);
    expect(me.body).toMatchObject({ email, emailVerified: true, role: 'client', name: 'Jana Nováková', locale: 'en' });
    await http.patch('/api/users/me').set(bearer(login.body.accessToken)).send({ locale: 'cs' }).expect(200);
    await http.patch('/api/users/me').set(bearer(login.body.accessToken)).send({ role: 'admin' }).expect(400);
  });

  it('stores link and refresh tokens only as hashes', async () => {
    const user = await signUp();
    const db = `${namespace}_user_portal`;
    const hashes = await queryDatabase<{ token_hash: string }>(db, 'SELECT token_hash FROM refresh_tokens UNION ALL SELECT token_hash FROM one_time_tokens');
    expect(hashes.length).toBeGreaterThan(0);
    expect(hashes.map((h) => h.token_hash)).not.toContain(user.refreshToken);
    const passwords = await queryDatabase<{ password_hash: string }>(db, 'SELECT password_hash FROM users WHERE email = $1', [user.email]);
    expect(passwords[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  });

  it('rotates refresh tokens; reusing a rotated one revokes the whole family and emails the user', async () => {
    const user = await signUp();
    const first = await http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
    expect(first.body.refreshToken).not.toBe(user.refreshToken);
    const second = await http.post('/api/auth/refresh').send({ refreshToken: first.body.refreshToken }).expect(200);

    const since = smtp.messages.length;
    const reuse = await http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    expect(reuse.body.message).toMatch(/already used/);
    // The family is gone: the newest token of it no longer works either.
    await http.post('/api/auth/refresh').send({ refreshToken: second.body.refreshToken }).expect(401);
    const alert = await mailTo(user.email, /sign|session|přihlá/i, since);
    expect(alert.text).toBeTruthy();
  });

  it('lists sessions, revokes one, and logs out everywhere', async () => {
    const user = await signUp();
    const other = await http.post('/api/auth/login').set('user-agent', 'Laptop browser').send({ email: user.email, password: PASSWORD }).expect(200);
    const sessions = await http.get('/api/auth/sessions').set(bearer(other.body.accessToken)).expect(200);
    expect(sessions.body).toHaveLength(2);
    expect(sessions.body.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    expect(sessions.body.find((s: { current: boolean }) => s.current)).toMatchObject({ device: 'Laptop browser', ip: expect.any(String), createdAt: expect.any(String), lastUsedAt: expect.any(String) });

    const firstSession = sessions.body.find((s: { current: boolean }) => !s.current).id;
    await http.delete(`/api/auth/sessions/${firstSession}`).set(bearer(other.body.accessToken)).expect(204);
    await http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    await http.delete(`/api/auth/sessions/${randomUUID()}`).set(bearer(other.body.accessToken)).expect(404);

    const third = await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    await http.post('/api/auth/logout-all').set(bearer(third.body.accessToken)).expect(204);
    await http.post('/api/auth/refresh').send({ refreshToken: other.body.refreshToken }).expect(401);
    await http.post('/api/auth/refresh').send({ refreshToken: third.body.refreshToken }).expect(401);

    const fourth = await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    await http.post('/api/auth/logout').send({ refreshToken: fourth.body.refreshToken }).expect(204);
    await http.post('/api/auth/refresh').send({ refreshToken: fourth.body.refreshToken }).expect(401);
  });

  it('forgot → reset by email link → every old session is dead, the new password works, the old one not', async () => {
    const user = await signUp();
    const since = smtp.messages.length;
    await http.post('/api/auth/forgot-password').send({ email: user.email }).expect(202);
    const mail = await mailTo(user.email, /password|heslo/i, since);
    expect(mail.text).toContain('http://accounts.example.test/reset-password?token=');

    await http.post('/api/auth/reset-password').send({ token: mail.token, password: 'short' }).expect(400);
    const newPassword = 'a brand new passphrase';
    await http.post('/api/auth/reset-password').send({ token: mail.token, password: newPassword }).expect(200);
    await http.post('/api/auth/reset-password').send({ token: mail.token, password: newPassword }).expect(400);
    await http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
    await http.post('/api/auth/login').send({ email: user.email, password: newPassword }).expect(200);
    await probe.waitForEvent(RoutingKey.UserPasswordChanged, (m) => m.payload.via === 'reset');
  });

  it('ends a session left unused for AUTH_REFRESH_IDLE_TIMEOUT_S: a refresh just inside it works, one past it is a 401', async () => {
    const user = await signUp();
    const db = `${namespace}_user_portal`;
    const sessionOf = async (token: string) => (await http.get('/api/auth/sessions').set(bearer(token)).expect(200)).body.find((s: { current: boolean }) => s.current).id as string;
    const session = await sessionOf(user.accessToken);
    const idle = env.AUTH_REFRESH_IDLE_TIMEOUT_S;
    // Last used 30 s short of the idle timeout: still alive, and the refresh counts as use.
    await queryDatabase(db, `UPDATE sessions SET last_used_at = now() - make_interval(secs => $2) WHERE id = $1`, [session, idle - 30]);
    const refreshed = await http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
    const [used] = await queryDatabase<{ idle_s: number }>(db, `SELECT extract(epoch FROM now() - last_used_at)::float AS idle_s FROM sessions WHERE id = $1`, [session]);
    expect(used.idle_s).toBeLessThan(5);
    // Unused for a second longer than the timeout: over.
    await queryDatabase(db, `UPDATE sessions SET last_used_at = now() - make_interval(secs => $2) WHERE id = $1`, [session, idle + 1]);
    const refused = await http.post('/api/auth/refresh').send({ refreshToken: refreshed.body.refreshToken }).expect(401);
    expect(refused.body.message).toMatch(/expired; sign in again/);
    const [row] = await queryDatabase<{ revoked_reason: string | null }>(db, `SELECT revoked_reason FROM sessions WHERE id = $1`, [session]);
    expect(row.revoked_reason).toBe('expired');
    await http.post('/api/auth/refresh').send({ refreshToken: refreshed.body.refreshToken }).expect(401);
  });

  it('ends a session AUTH_REFRESH_TOKEN_TTL_DAYS after sign-in, however recently it was used; refreshing never extends it', async () => {
    const user = await signUp();
    const db = `${namespace}_user_portal`;
    const session = (await http.get('/api/auth/sessions').set(bearer(user.accessToken)).expect(200)).body[0];
    const lifetime = async () => (await queryDatabase<{ s: number }>(db, `SELECT extract(epoch FROM expires_at - created_at)::float AS s FROM sessions WHERE id = $1`, [session.id]))[0].s;
    expect(Math.abs((await lifetime()) - env.AUTH_REFRESH_TOKEN_TTL_DAYS * 86_400)).toBeLessThan(5);
    const refreshed = await http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
    expect(Math.abs((await lifetime()) - env.AUTH_REFRESH_TOKEN_TTL_DAYS * 86_400)).toBeLessThan(5);
    // The absolute end reached (the session was used a moment ago): over.
    await queryDatabase(db, `UPDATE sessions SET expires_at = now() - interval '1 second', last_used_at = now() WHERE id = $1`, [session.id]);
    const refused = await http.post('/api/auth/refresh').send({ refreshToken: refreshed.body.refreshToken }).expect(401);
    expect(refused.body.message).toMatch(/expired; sign in again/);
    expect((await http.get('/api/auth/sessions').set(bearer(refreshed.body.accessToken)).expect(200)).body).toEqual([]);
  });

  it('refuses an expired verification link; resend-verification sends a new one, which works, and the old one stays dead', async () => {
    const email = `${randomUUID()}@example.com`;
    const first = await register(email);
    const db = `${namespace}_user_portal`;
    const [issued] = await queryDatabase<{ ttl_s: number }>(db, `SELECT extract(epoch FROM t.expires_at - t.created_at)::float AS ttl_s FROM one_time_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1 AND t.kind = 'verify_email'`, [email]);
    expect(Math.abs(issued.ttl_s - env.AUTH_VERIFICATION_TOKEN_TTL_HOURS * 3600)).toBeLessThan(5);
    await queryDatabase(db, `UPDATE one_time_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'verify_email' AND user_id = (SELECT id FROM users WHERE email = $1)`, [email]);
    const expired = await http.post('/api/auth/verify').send({ token: first }).expect(400);
    expect(expired.body.message).toMatch(/invalid, already used or expired; ask for a new one \(POST \/api\/auth\/resend-verification\)/);

    const since = smtp.messages.length;
    const known = await http.post('/api/auth/resend-verification').send({ email }).expect(202);
    const unknown = await http.post('/api/auth/resend-verification').send({ email: `${randomUUID()}@example.com` }).expect(202);
    expect(known.body).toEqual(unknown.body);
    const again = await mailTo(email, /confirm|verif/i, since);
    expect(again.token).toBeDefined();
    expect(again.token).not.toBe(first);
    await http.post('/api/auth/verify').send({ token: first }).expect(400);
    await http.post('/api/auth/verify').send({ token: again.token }).expect(200);
    const login = await http.post('/api/auth/login').send({ email, password: PASSWORD }).expect(200);
    expect(claimsOf(login.body.accessToken).email_verified).toBe(true);

    // A verified address gets no new link: nothing is written for it, the answer is the same.
    const before = await queryDatabase<{ n: number }>(db, `SELECT count(*)::int AS n FROM outbox_messages WHERE payload->>'recipient' = $1`, [email]);
    expect((await http.post('/api/auth/resend-verification').send({ email }).expect(202)).body).toEqual(known.body);
    await portal.app.get(AfterAnswer).settled();
    expect(await queryDatabase(db, `SELECT count(*)::int AS n FROM outbox_messages WHERE payload->>'recipient' = $1`, [email])).toEqual(before);
  });

  it('refuses an expired reset link and leaves the password as it was', async () => {
    const user = await signUp();
    const since = smtp.messages.length;
    await http.post('/api/auth/forgot-password').send({ email: user.email }).expect(202);
    const mail = await mailTo(user.email, /password|heslo/i, since);
    const db = `${namespace}_user_portal`;
    const [issued] = await queryDatabase<{ ttl_s: number }>(db, `SELECT extract(epoch FROM t.expires_at - t.created_at)::float AS ttl_s FROM one_time_tokens t JOIN users u ON u.id = t.user_id WHERE u.email = $1 AND t.kind = 'reset_password'`, [user.email]);
    expect(Math.abs(issued.ttl_s - env.AUTH_RESET_TOKEN_TTL_MINUTES * 60)).toBeLessThan(5);
    await queryDatabase(db, `UPDATE one_time_tokens SET expires_at = now() - interval '1 second' WHERE kind = 'reset_password' AND user_id = (SELECT id FROM users WHERE email = $1)`, [user.email]);
    const refused = await http.post('/api/auth/reset-password').send({ token: mail.token, password: 'a brand new passphrase' }).expect(400);
    expect(refused.body.message).toMatch(/invalid, already used or expired; ask for a new one \(POST \/api\/auth\/forgot-password\)/);
    await http.post('/api/auth/login').send({ email: user.email, password: 'a brand new passphrase' }).expect(401);
    await http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
  });

  it('keeps a reset link usable when the new password is refused', async () => {
    const user = await signUp();
    const since = smtp.messages.length;
    await http.post('/api/auth/forgot-password').send({ email: user.email }).expect(202);
    const mail = await mailTo(user.email, /password|heslo/i, since);
    // Refused for the account's own address, which only the link's owner can be checked against.
    const refused = await http.post('/api/auth/reset-password').send({ token: mail.token, password: user.email }).expect(400);
    expect(refused.body.errors).toEqual([{ field: 'password', messages: ['password must not be your email address'] }]);
    await http.post('/api/auth/reset-password').send({ token: mail.token, password: 'password' }).expect(400);
    await http.post('/api/auth/reset-password').send({ token: mail.token, password: 'a brand new passphrase' }).expect(200);
    await http.post('/api/auth/reset-password').send({ token: mail.token, password: 'another brand new one' }).expect(400);
    await http.post('/api/auth/login').send({ email: user.email, password: 'a brand new passphrase' }).expect(200);
  });

  it('links its emails to pages it serves: account-exists and password-changed lead to the forgot-password page, which asks for a reset link', async () => {
    const user = await signUp();
    let since = smtp.messages.length;
    await http.post('/api/auth/register').send({ email: user.email, password: PASSWORD, name: 'Someone' }).expect(202);
    const exists = await mailTo(user.email, /already|account|účet/i, since);
    since = smtp.messages.length;
    await http.post('/api/auth/change-password').set(bearer(user.accessToken)).send({ currentPassword: PASSWORD, newPassword: 'another fine passphrase' }).expect(200);
    const changed = await mailTo(user.email, /changed|změněno/i, since);
    for (const mail of [exists, changed]) {
      const links = [...new Set([...(mail.text ?? '').matchAll(/https?:\/\/\S+/g)].map((m) => m[0]))];
      expect(links).toEqual(['http://accounts.example.test/forgot-password']);
      const hrefs = [...String(mail.html).matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
      expect(hrefs).toEqual(['http://accounts.example.test/forgot-password']);
    }
    // The page behind the link (ACCOUNT_LINKS_BASE_URL points here in production): a form that asks for a reset link.
    const page = await http.get('/forgot-password').expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain("post('/api/auth/forgot-password', { email:");
    since = smtp.messages.length;
    await http.post('/api/auth/forgot-password').send({ email: user.email }).expect(202);
    const reset = await mailTo(user.email, /reset|obnov/i, since);
    expect(reset.text).toContain('http://accounts.example.test/reset-password?token=');
    await http.get('/login').expect(404);
  });

  it('changes the password with the current one; other sessions end, this one goes on', async () => {
    const user = await signUp();
    const other = await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    await http.post('/api/auth/change-password').set(bearer(user.accessToken)).send({ currentPassword: 'not it at all', newPassword: 'another fine passphrase' }).expect(400);
    await http.post('/api/auth/change-password').set(bearer(user.accessToken)).send({ currentPassword: PASSWORD, newPassword: 'another fine passphrase' }).expect(200);
    await http.post('/api/auth/refresh').send({ refreshToken: other.body.refreshToken }).expect(401);
    await http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(200);
    await http.post('/api/auth/change-password').send({ currentPassword: PASSWORD, newPassword: 'x'.repeat(20) }).expect(401);
  });

  it('refuses short, overlong and common passwords, and accepts a 64-character one', async () => {
    const email = `${randomUUID()}@example.com`;
    for (const password of ['short1', 'password', 'qwerty123', 'x'.repeat(129)]) {
      const res = await http.post('/api/auth/register').send({ email, password, name: 'N' }).expect(400);
      expect(res.body.errors[0].field).toBe('password');
    }
    await http.post('/api/auth/register').send({ email, password: 'p'.repeat(32) + 'Q'.repeat(32), name: 'N' }).expect(202);
  });

  it('answers the same, in about the same time, for known and unknown addresses', async () => {
    const known = await signUp();
    const unknown = `${randomUUID()}@example.com`;
    const timed = async (work: () => Promise<request.Response>) => {
      const started = process.hrtime.bigint();
      const res = await work();
      return { res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const knownTimes: number[] = [];
    const unknownTimes: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const a = await timed(() => http.post('/api/auth/login').send({ email: known.email, password: 'wrong password here' }));
      const b = await timed(() => http.post('/api/auth/login').send({ email: unknown, password: 'wrong password here' }));
      expect([a.res.status, a.res.body.message]).toEqual([401, 'Wrong email or password']);
      expect([b.res.status, b.res.body.message]).toEqual([401, 'Wrong email or password']);
      knownTimes.push(a.ms);
      unknownTimes.push(b.ms);
    }
    // Both pay one argon2id verification: the medians differ by far less than one hash costs.
    expect(Math.abs(median(knownTimes) - median(unknownTimes))).toBeLessThan(Math.max(median(knownTimes), median(unknownTimes)) * 0.5);

    const forgotKnown = await http.post('/api/auth/forgot-password').send({ email: known.email }).expect(202);
    const forgotUnknown = await http.post('/api/auth/forgot-password').send({ email: unknown }).expect(202);
    expect(forgotKnown.body).toEqual(forgotUnknown.body);

    const since = smtp.messages.length;
    const again = await http.post('/api/auth/register').send({ email: known.email, password: PASSWORD, name: 'Someone' }).expect(202);
    const fresh = await http.post('/api/auth/register').send({ email: unknown, password: PASSWORD, name: 'Someone' }).expect(202);
    expect(again.body).toEqual(fresh.body);
    // The owner of the taken address is told, by email, that someone tried.
    await mailTo(known.email, /account|účet/i, since);
  });

  it('answers forgot-password and resend-verification in about the same time for a known address as for an unknown one', async () => {
    const verified = await signUp();
    const unverified = `${randomUUID()}@example.com`;
    await register(unverified);
    const afterAnswer = portal.app.get(AfterAnswer);
    const timed = async (work: () => Promise<request.Response>) => {
      const started = process.hrtime.bigint();
      const res = await work();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // What follows the answer is not counted against the next request.
      await afterAnswer.settled();
      return { res, ms };
    };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const ROUNDS = 9;
    // forgot-password does its work for a verified account, resend-verification for an unverified one.
    for (const [endpoint, known] of [['forgot-password', verified.email], ['resend-verification', unverified]] as const) {
      const since = smtp.messages.length;
      const knownTimes: number[] = [];
      const unknownTimes: number[] = [];
      for (let i = 0; i < ROUNDS; i += 1) {
        const a = await timed(() => http.post(`/api/auth/${endpoint}`).send({ email: known }));
        const b = await timed(() => http.post(`/api/auth/${endpoint}`).send({ email: `${randomUUID()}@example.com` }));
        expect([a.res.status, b.res.status]).toEqual([202, 202]);
        expect(a.res.body).toEqual(b.res.body);
        knownTimes.push(a.ms);
        unknownTimes.push(b.ms);
      }
      // As for login: the medians differ by far less than the known address's work (a transaction issuing the link and its email) costs.
      expect(Math.abs(median(knownTimes) - median(unknownTimes))).toBeLessThan(Math.max(median(knownTimes), median(unknownTimes)) * 0.5);
      // The work was done all the same: the known address got its emails.
      await waitFor(() => smtp.messages.slice(since).filter((m) => (m.to as { text: string } | undefined)?.text.includes(known)).length === ROUNDS, { what: `the ${endpoint} emails` });
    }

    // However long the known address's work takes, the answer does not wait for it: with the link
    // table locked (the work waits), a known address is answered as fast as ever, and its email follows.
    const locker = new Client({ host: process.env.POSTGRES_HOST ?? '127.0.0.1', port: Number(process.env.POSTGRES_PORT ?? 5432), user: process.env.POSTGRES_USER ?? 'postgres', password: process.env.POSTGRES_PASSWORD ?? '', database: `${namespace}_user_portal` });
    await locker.connect();
    try {
      for (const [endpoint, known] of [['forgot-password', verified.email], ['resend-verification', unverified]] as const) {
        const since = smtp.messages.length;
        await locker.query('BEGIN');
        await locker.query('LOCK TABLE one_time_tokens IN EXCLUSIVE MODE');
        const answer = await http.post(`/api/auth/${endpoint}`).timeout(1500).send({ email: known }).then((res) => res.status, (error: Error) => error.message);
        await locker.query('COMMIT');
        expect({ endpoint, answer }).toEqual({ endpoint, answer: 202 });
        await mailTo(known, /password|heslo|confirm|verif/i, since);
      }
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  });

  it('throttles logins per account with 429 and Retry-After, and recovers after the window', async () => {
    const user = await signUp();
    await waitFor(async () => (await http.post('/api/auth/login').send({ email: user.email, password: 'wrong password here' })).status === 401, { what: 'the window to reset' });
    let limited: request.Response | undefined;
    for (let i = 0; i < 15 && !limited; i += 1) {
      const res = await http.post('/api/auth/login').send({ email: user.email, password: 'wrong password here' });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(401);
    }
    expect(limited).toBeDefined();
    expect(Number(limited!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited!.body.message).toMatch(/Too many requests/);
    await waitFor(async () => (await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD })).status === 200, { timeoutMs: 10_000, what: 'the login to be allowed again' });
  });

  it('another service trusts its tokens: 401 without, 403 for a client, 200 for an operator the admin appointed', async () => {
    const user = await signUp();
    const other = notification.http;
    await other.get('/api/notifications').expect(401);
    await other.get('/api/notifications').set(bearer(user.accessToken)).expect(403);

    const admin = await adminToken();
    const me = await http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    await http.patch(`/api/users/${me.body.id}`).set(bearer(user.accessToken)).send({ role: 'operator' }).expect(403);
    await http.patch(`/api/users/${me.body.id}`).set(bearer(admin)).send({ role: 'operator' }).expect(200);
    const operator = await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    expect(claimsOf(operator.body.accessToken).roles).toEqual(['operator']);
    await other.get('/api/notifications').set(bearer(operator.body.accessToken)).expect(200);
  });

  it('lets admins list, search, disable and delete users; user.deleted is emitted', async () => {
    const user = await signUp(`findme-${randomUUID()}@example.com`);
    const admin = await adminToken();
    const page = await http.get('/api/users').query({ q: 'findme', role: 'client' }).set(bearer(admin)).expect(200);
    expect(page.body).toMatchObject({ page: 1, pageSize: 20, total: 1, items: [{ email: user.email, role: 'client' }] });
    await http.get('/api/users').query({ role: 'root' }).set(bearer(admin)).expect(400);
    await http.get('/api/users').set(bearer(user.accessToken)).expect(403);

    const id = page.body.items[0].id;
    await http.patch(`/api/users/${id}`).set(bearer(admin)).send({ disabled: true }).expect(200);
    await http.post('/api/auth/refresh').send({ refreshToken: user.refreshToken }).expect(401);
    await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(403);

    await http.delete(`/api/users/${id}`).set(bearer(admin)).expect(204);
    await probe.waitForEvent(RoutingKey.UserDeleted, (m) => m.payload.userId === id && m.payload.by === 'admin');
    await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);

    const self = await signUp();
    await http.delete('/api/users/me').set(bearer(self.accessToken)).expect(204);
    await probe.waitForEvent(RoutingKey.UserDeleted, (m) => m.payload.by === 'self');
    const rows = await queryDatabase(`${namespace}_user_portal`, 'SELECT 1 FROM users WHERE email = $1', [self.email]);
    expect(rows).toHaveLength(0);

    const adminId = (await http.get('/api/users/me').set(bearer(admin)).expect(200)).body.id;
    await http.patch(`/api/users/${adminId}`).set(bearer(admin)).send({ role: 'client' }).expect(409);
  });

  it('rotates keys with both published; a token signed before the rotation, and one after, verify elsewhere; keys survive a restart', async () => {
    const user = await signUp();
    const admin = await adminToken();
    const oldKid = headerOf(user.accessToken).kid;
    const rotated = await http.post('/api/auth/keys/rotate').set(bearer(admin)).expect(200);
    expect(rotated.body.kid).not.toBe(oldKid);
    const kids = (await http.get('/.well-known/jwks.json').expect(200)).body.keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]));

    const fresh = await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    expect(headerOf(fresh.body.accessToken).kid).toBe(rotated.body.kid);
    // notification cached the old key set: it fetches again for the unknown kid.
    await waitFor(async () => (await notification.http.get('/api/notifications').set(bearer(fresh.body.accessToken))).status === 403, { timeoutMs: 10_000, what: 'the new kid to be known' });
    await notification.http.get('/api/notifications').set(bearer(user.accessToken)).expect(403);

    await portal.app.close();
    await startPortal();
    await http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    await http.get('/api/users/me').set(bearer(fresh.body.accessToken)).expect(200);
    const admins = await queryDatabase<{ n: number }>(`${namespace}_user_portal`, `SELECT count(*)::int AS n FROM users WHERE email = $1`, [ADMIN.email]);
    expect(admins[0].n).toBe(1);
  });

  it('rotates the signing key by itself once it is older than AUTH_KEY_ROTATION_DAYS: the next key is published ahead of use, and the old one verifies until its tokens expire', async () => {
    const user = await signUp();
    const oldKid = headerOf(user.accessToken).kid;
    const database = `${namespace}_user_portal`;
    // Every key's history moved back past the rotation period, as if that time had gone by.
    const aged = `make_interval(days => ${env.AUTH_KEY_ROTATION_DAYS + 1})`;
    await queryDatabase(database, `UPDATE signing_keys SET active_from = active_from - ${aged}, expires_at = expires_at - ${aged}`);
    const keys = portal.app.get(SigningKeys);
    const publishAhead = env.AUTH_KEY_PUBLISH_AHEAD_S;
    env.AUTH_KEY_PUBLISH_AHEAD_S = 3;
    try {
      await keys.maintain();
    } finally {
      env.AUTH_KEY_PUBLISH_AHEAD_S = publishAhead;
    }
    const [next] = await queryDatabase<{ kid: string; ahead_s: number }>(database, 'SELECT kid, extract(epoch FROM active_from - now())::float AS ahead_s FROM signing_keys ORDER BY active_from DESC LIMIT 1');
    expect(next.kid).not.toBe(oldKid);
    expect(next.ahead_s).toBeGreaterThan(0);
    // Published before it signs anything, beside the key that still signs.
    const published = (await http.get('/.well-known/jwks.json').expect(200)).body.keys.map((k: { kid: string }) => k.kid);
    expect(published).toEqual(expect.arrayContaining([oldKid, next.kid]));
    const before = await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    expect(headerOf(before.body.accessToken).kid).toBe(oldKid);
    // From its start it signs; the old key's tokens still verify, and it is set to leave the JWKS once they expire.
    await waitFor(async () => headerOf((await http.post('/api/auth/login').send({ email: user.email, password: PASSWORD })).body.accessToken).kid === next.kid, {
      timeoutMs: 15_000,
      intervalMs: 1000,
      what: 'logins signed with the rotated-in key',
    });
    await http.get('/api/users/me').set(bearer(before.body.accessToken)).expect(200);
    await keys.maintain();
    const [old] = await queryDatabase<{ expires_at: Date | null }>(database, 'SELECT expires_at FROM signing_keys WHERE kid = $1', [oldKid]);
    expect(old.expires_at).not.toBeNull();
    expect(new Date(old.expires_at!).getTime()).toBeGreaterThan(Date.now() + env.AUTH_ACCESS_TOKEN_TTL_S * 1000);
  });

  it('lets an operator sign in to /queues in a browser: a login page, an HttpOnly cookie, no session left behind', async () => {
    const dashboard = notification.http;
    const anonymous = await dashboard.get('/queues').set('accept', 'text/html').expect(302);
    expect(anonymous.headers.location).toBe('/queues/login');
    expect((await dashboard.get('/queues/login').expect(200)).text).toContain('<form method="post" action="/queues/login">');

    const client = await signUp();
    await dashboard.post('/queues/login').type('form').send({ email: client.email, password: PASSWORD }).expect(403);
    await dashboard.post('/queues/login').type('form').send({ email: ADMIN.email, password: 'not the password' }).expect(401);
    const signedIn = await dashboard.post('/queues/login').type('form').send(ADMIN).expect(303);
    expect(signedIn.headers.location).toBe('/queues');
    const cookie = String(signedIn.headers['set-cookie']);
    expect(cookie).toMatch(/^statex_access=[^;]+; Path=\/queues; Max-Age=900; HttpOnly; SameSite=Strict/);
    await dashboard.get('/queues').set('accept', 'text/html').set('cookie', cookie.split(';')[0]).expect(200);
    await dashboard.get('/queues/api/queues').set('cookie', cookie.split(';')[0]).expect(200);
    await dashboard.get('/queues/api/queues').expect(401);
  });

  it('issues service tokens by client credentials only to configured clients; another service takes them where services may call', async () => {
    const issued = await http.post('/api/auth/token').send({ grant_type: 'client_credentials', client_id: 'crm-sync', client_secret: 'crm-sync-secret-0123456789' }).expect(200);
    expect(issued.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(claimsOf(issued.body.accessToken)).toMatchObject({ sub: 'service:crm-sync', roles: ['service'] });
    expect(issued.body.refreshToken).toBeUndefined();
    await notification.http
      .post('/api/notifications')
      .set(bearer(issued.body.accessToken))
      .send({ channel: 'email', recipient: 'lead@example.com', template: 'acknowledgement', data: { name: 'Lead', requestId: 'r-1' } })
      .expect(202);
    await notification.http.get('/api/notifications').set(bearer(issued.body.accessToken)).expect(403);
    await http.post('/api/auth/token').send({ grant_type: 'client_credentials', client_id: 'crm-sync', client_secret: 'wrong-secret-0123456789' }).expect(401);
    await http.post('/api/auth/token').send({ grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x'.repeat(20) }).expect(401);
    await http.post('/api/auth/token').send({ grant_type: 'password', client_id: 'nobody', client_secret: 'x' }).expect(400);
  });

  it('serves the pages its emails link to, and hides nothing it should not: no admin route for a client', async () => {
    const page = await http.get('/verify-email?token=abc').expect(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.text).toContain('/api/auth/verify');
    expect((await http.get('/reset-password?token=abc').expect(200)).text).toContain('/api/auth/reset-password');
    await http.post('/api/auth/keys/rotate').expect(401);
  });
});

describe('user-portal configuration', () => {
  it('refuses the development admin password and key secret in production, naming both', () => {
    let error: unknown;
    try {
      loadEnv(UserPortalEnv, { NODE_ENV: 'production', ADMIN_PASSWORD: DEV_ADMIN_PASSWORD, AUTH_KEYS_SECRET: DEV_KEYS_SECRET });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigValidationError);
    expect((error as Error).message).toMatch(/ADMIN_PASSWORD must be changed/);
    expect((error as Error).message).toMatch(/AUTH_KEYS_SECRET must be changed/);
    expect(() => loadEnv(UserPortalEnv, { NODE_ENV: 'development' })).not.toThrow();
  });
});
