import { Controller, Get, Module } from '@nestjs/common';
import request from 'supertest';
import type { ServiceDefinition } from '@statex/runtime';
import { AuthStandIn, bearer, BrokerProbe, removeTestNamespace, ServiceUnderTest, SmtpStandIn, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { notificationService } from '../src/notification.app';
import { NotificationEnv } from '../src/notification.env';

type Method = 'get' | 'post' | 'put';

/** A route someone forgot to decorate: no @Public, @Authenticated or @Roles. */
@Controller('undecorated')
class UndecoratedController {
  @Get()
  open(): { reached: true } {
    return { reached: true };
  }
}

/** Notification as it is, plus that route: what the global guard makes of it. */
const withUndecoratedRoute: ServiceDefinition<NotificationEnv> = {
  ...notificationService,
  module: (env) => {
    @Module({ imports: [notificationService.module(env)], controllers: [UndecoratedController] })
    class WithUndecoratedRoute {}
    return WithUndecoratedRoute;
  },
};

/** The header of a JWT, decoded. */
const headerOf = (token: string): { kid?: string; alg?: string } => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());

/**
 * The deny-by-default guard on notification, against a JWKS served over real HTTP (the AuthStandIn
 * plays user-portal): which tokens open which doors, and that every staff route and the queue
 * dashboard stay shut to everyone else.
 */
describe('notification: access control (tokens verified against a JWKS over HTTP)', () => {
  const namespace = uniqueNamespace('acc');
  const auth = new AuthStandIn();
  const smtp = new SmtpStandIn();
  let service: ServiceUnderTest;
  let operator: Record<string, string>;
  /** A LinkedIn task waiting for an operator: what complete and cancel would change. */
  let pendingTask: string;
  /** A notification that failed for good (Telegram is not configured): what retry would send again. */
  let failed: string;

  const email = (requestId: string, extra: Record<string, unknown> = {}) => ({
    channel: 'email',
    recipient: 'lead@example.com',
    template: 'acknowledgement',
    data: { name: 'Jana Nováková', requestId },
    ...extra,
  });
  const call = (method: Method, path: string, headers: Record<string, string> = {}): request.Test => service.http[method](path).set(headers);
  const asOperator = (method: Method, path: string) => call(method, path, operator);
  const viewOf = async (id: string) => (await asOperator('get', `/api/notifications/${id}`).expect(200)).body;

  beforeAll(async () => {
    await Promise.all([auth.start(), smtp.start()]);
    service = await startServiceForTest(withUndecoratedRoute, testEnv(NotificationEnv, namespace, { ...auth.env, SMTP_PORT: smtp.port, NOTIFICATION_BACKOFF_MS: 100 }));
    operator = bearer(await auth.mint({ roles: ['operator'], expiresIn: 3600 }));

    const task = await asOperator('post', '/api/notifications')
      .send({ channel: 'linkedin', recipient: 'https://www.linkedin.com/in/jana-novakova', template: 'acknowledgement', data: { name: 'Jana', requestId: 'ACC-TASK' } })
      .expect(202);
    pendingTask = task.body.id;
    const telegram = await asOperator('post', '/api/notifications')
      .send({ channel: 'telegram', recipient: '42', template: 'acknowledgement', data: { name: 'Jana', requestId: 'ACC-FAILED' } })
      .expect(202);
    failed = telegram.body.id;
    await waitFor(async () => (await viewOf(failed)).status === 'failed', { what: 'the Telegram notification to fail' });
  });

  afterAll(async () => {
    await service?.app.close();
    await Promise.all([auth.stop(), smtp.stop()]);
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['notification']);
    await probe.stop();
  });

  describe('every staff route answers 401 without a token, and does nothing', () => {
    // Each request is one that would succeed (or at least not answer 401) if the route were open.
    const routes: [string, Method, () => string, (() => object) | undefined][] = [
      ['POST /api/notifications', 'post', () => '/api/notifications', () => email('ACC-ANON', { correlationId: 'anonymous-attempt' })],
      ['GET /api/notifications', 'get', () => '/api/notifications', undefined],
      ['GET /api/notifications/:id', 'get', () => `/api/notifications/${pendingTask}`, undefined],
      ['POST /api/notifications/:id/retry', 'post', () => `/api/notifications/${failed}/retry`, undefined],
      ['POST /api/notifications/:id/complete', 'post', () => `/api/notifications/${pendingTask}/complete`, () => ({ completedBy: 'intruder@example.com' })],
      ['POST /api/notifications/:id/cancel', 'post', () => `/api/notifications/${pendingTask}/cancel`, undefined],
      ['GET /api/templates', 'get', () => '/api/templates', undefined],
      ['GET /api/templates/:name/preview', 'get', () => '/api/templates/acknowledgement/preview?channel=email&locale=en', undefined],
    ];

    it.each(routes)('%s', async (_name, method, path, body) => {
      const req = call(method, path());
      const res = await (body ? req.send(body()) : req).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.body).toMatchObject({ statusCode: 401, message: expect.stringContaining('access token') });
      // Nothing the route serves leaks into the refusal.
      expect(res.body).not.toHaveProperty('items');
      expect(res.body).not.toHaveProperty('id');
      expect(res.body).not.toHaveProperty('text');
    });

    it('left the notifications as they were', async () => {
      // Each refused call above was answered before anything ran: nothing was created, completed, cancelled or retried.
      expect((await asOperator('get', '/api/notifications?correlationId=anonymous-attempt').expect(200)).body.total).toBe(0);
      expect(await viewOf(pendingTask)).toMatchObject({ status: 'manual_pending', manualTask: { overdue: false } });
      expect((await viewOf(pendingTask)).manualTask.completedBy).toBeUndefined();
      const retried = await viewOf(failed);
      expect(retried.status).toBe('failed');
      expect(retried.attempts).toHaveLength(1);
    });
  });

  describe('a token that is not what user-portal issues is refused with 401', () => {
    const forged: [string, () => Promise<string> | string, RegExp][] = [
      ['expired (past the clock leeway)', () => auth.mint({ roles: ['admin'], expiresIn: -120 }), /expired/],
      ['not valid yet (nbf in the future)', () => auth.mint({ roles: ['admin'], notBefore: 600 }), /"nbf"/],
      ['payload edited after signing (roles raised to admin)', () => auth.tampered(), /signature/],
      ['alg: none, no signature', () => auth.unsigned(), /algorithm/],
      ['HS256 signed with the public key (key confusion)', () => auth.hmacWithPublicKey(), /algorithm/],
      ['for another audience', () => auth.mint({ roles: ['admin'], aud: 'another-platform' }), /"aud"/],
      ['from another issuer', () => auth.mint({ roles: ['admin'], iss: 'https://evil.example' }), /"iss"/],
      ['naming a key id the JWKS does not have', () => auth.mint({ roles: ['admin'], kid: 'unknown' }), /unknown key/],
      ['signed with a key not in the JWKS', () => auth.mint({ roles: ['admin'], foreignKey: true }), /unknown key/],
      [
        'signed with a key not in the JWKS, under the published key id',
        async () => auth.mint({ roles: ['admin'], foreignKey: true, kid: headerOf(await auth.mint()).kid }),
        /signature/,
      ],
      ['not a JWT at all', () => 'not.a.jwt', /malformed|invalid/i],
    ];

    it.each(forged)('%s', async (_name, token, reason) => {
      const res = await call('get', '/api/notifications', bearer(await token())).expect(401);
      expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      expect(res.body.message).toMatch(reason);
      expect(res.body).not.toHaveProperty('items');
    });

    it('the same forgeries cannot send a notification either', async () => {
      for (const token of [await auth.tampered(), auth.unsigned(), await auth.hmacWithPublicKey(), await auth.mint({ roles: ['service'], foreignKey: true })]) {
        await call('post', '/api/notifications', bearer(token)).send(email('ACC-FORGED', { correlationId: 'forged-attempt' })).expect(401);
      }
      expect((await asOperator('get', '/api/notifications?correlationId=forged-attempt').expect(200)).body.total).toBe(0);
    });
  });

  describe('a token within the 30 s clock leeway is accepted, and keys are fetched again only for a new kid', () => {
    it.each([
      ['not valid for another 10 s (nbf ahead, within the leeway)', 200, () => auth.mint({ roles: ['operator'], notBefore: 10 })],
      ['expired 10 s ago (within the leeway)', 200, () => auth.mint({ roles: ['operator'], expiresIn: -10 })],
      ['not valid for another 45 s (past the leeway)', 401, () => auth.mint({ roles: ['operator'], notBefore: 45 })],
      ['expired 45 s ago (past the leeway)', 401, () => auth.mint({ roles: ['operator'], expiresIn: -45 })],
    ] as const)('%s: %i', async (_name, status, token) => {
      await call('get', '/api/notifications', bearer(await token())).expect(status);
    });

    it('fetches the JWKS once for a token naming a key rotated in, not for known keys, and not again for forged kids within the cooldown', async () => {
      // The key set is cached: tokens signed with a known key fetch nothing.
      await call('get', '/api/notifications', bearer(await auth.mint({ roles: ['operator'] }))).expect(200);
      const cached = auth.jwksRequests;
      await call('get', '/api/notifications', bearer(await auth.mint({ roles: ['operator'] }))).expect(200);
      expect(auth.jwksRequests).toBe(cached);
      // Past the 2 s cooldown of the earlier refetches (the unknown-kid refusals above).
      await new Promise((resolve) => setTimeout(resolve, 2100));

      const rotated = await auth.addKey();
      await call('get', '/api/notifications', bearer(await auth.mint({ roles: ['operator'], kid: rotated }))).expect(200);
      expect(auth.jwksRequests).toBe(cached + 1);
      await call('get', '/api/notifications', bearer(await auth.mint({ roles: ['operator'], kid: rotated }))).expect(200);
      for (let i = 0; i < 3; i += 1) await call('get', '/api/notifications', bearer(await auth.mint({ roles: ['admin'], kid: `forged-${i}` }))).expect(401);
      expect(auth.jwksRequests).toBe(cached + 1);
    });
  });

  describe('a route without an access decorator is closed (the guard’s default: admins only)', () => {
    it('401 without a token, 403 for an operator, a client and a service, 200 for an admin', async () => {
      const res = await call('get', '/api/undecorated').expect(401);
      expect(res.body).not.toHaveProperty('reached');
      for (const role of ['operator', 'client', 'service'] as const) {
        const refused = await call('get', '/api/undecorated', bearer(await auth.mint({ roles: [role] }))).expect(403);
        expect(refused.body.message).toBe(`This route needs the role admin; the token has ${role}`);
      }
      expect((await call('get', '/api/undecorated', bearer(await auth.mint({ roles: ['admin'] }))).expect(200)).body).toEqual({ reached: true });
    });
  });

  describe('a valid token opens only the doors of its roles', () => {
    it('an operator or an admin: 200 on the staff routes, 202 on a send', async () => {
      for (const role of ['operator', 'admin'] as const) {
        const token = bearer(await auth.mint({ roles: [role] }));
        const page = await call('get', '/api/notifications', token).expect(200);
        expect(page.body.items.map((n: { id: string }) => n.id)).toEqual(expect.arrayContaining([pendingTask, failed]));
        await call('get', `/api/notifications/${pendingTask}`, token).expect(200);
        await call('get', '/api/templates/acknowledgement/preview', token).expect(200);
        const sent = await call('post', '/api/notifications', token).send(email(`ACC-${role}`)).expect(202);
        expect(sent.body).toEqual({ id: expect.any(String), status: 'queued' });
      }
    });

    it('a client (a lead with an account): 403 on every staff route, a send included', async () => {
      const client = bearer(await auth.mint({ roles: ['client'] }));
      for (const [method, path] of [
        ['get', '/api/notifications'],
        ['get', `/api/notifications/${pendingTask}`],
        ['post', `/api/notifications/${pendingTask}/cancel`],
        ['get', '/api/templates/acknowledgement/preview'],
      ] as const) {
        const res = await call(method, path, client).expect(403);
        expect(res.body.message).toContain('operator');
      }
      await call('post', '/api/notifications', client).send(email('ACC-CLIENT', { correlationId: 'client-attempt' })).expect(403);
      expect((await asOperator('get', '/api/notifications?correlationId=client-attempt').expect(200)).body.total).toBe(0);
      expect((await viewOf(pendingTask)).status).toBe('manual_pending');
    });

    it('a machine client (service): may send a notification, which is delivered, but may not read or operate them', async () => {
      const machine = bearer(await auth.mint({ sub: 'service:user-portal', roles: ['service'] }));
      const res = await call('post', '/api/notifications', machine).send(email('ACC-SERVICE', { correlationId: 'service-send' })).expect(202);
      const mail = await smtp.waitForMail('ACC-SERVICE');
      expect(mail.messageId).toBe(`<${res.body.id}@statex>`);
      await call('get', '/api/notifications', machine).expect(403);
      await call('get', `/api/notifications/${res.body.id}`, machine).expect(403);
      await call('post', `/api/notifications/${failed}/retry`, machine).expect(403);
      await call('get', '/api/templates/acknowledgement/preview', machine).expect(403);
    });

    it('a token with no role at all: 403', async () => {
      await call('get', '/api/notifications', bearer(await auth.mint({ roles: [] }))).expect(403);
    });
  });

  describe('the queue dashboard at /queues (outside Nest’s routes)', () => {
    const html = { accept: 'text/html,application/xhtml+xml' };

    it('answers an API call without a token with 401, the board’s own API included', async () => {
      for (const path of ['/queues', '/queues/', '/queues/api/queues']) {
        const res = await call('get', path, { accept: 'application/json' }).expect(401);
        expect(res.headers['www-authenticate']).toBe('Bearer');
        expect(res.text).not.toContain('notifications-email');
      }
      await call('put', '/queues/api/queues/notifications-email/retry/failed').expect(401);
    });

    it('cannot be reached around the check by spelling the path another way (percent-encoding, case of the escape)', async () => {
      // The router decodes %71 to "q" before routing: the check must see the path the router sees.
      for (const path of ['/%71ueues/api/queues', '/queues%2Fapi%2Fqueues', '/%71ueues', '/queues/%61pi/queues', '/%2571ueues/api/queues']) {
        const res = await call('get', path, { accept: 'application/json' });
        expect({ path, status: res.status }).toEqual({ path, status: res.status === 404 ? 404 : 401 });
        expect(res.text).not.toContain('notifications-email');
      }
      await call('put', '/%71ueues/api/queues/notifications-email/retry/failed').expect(401);
    });

    it('sends a browser without a session to the sign-in page, which is served to anyone', async () => {
      const res = await call('get', '/queues', html).expect(302);
      expect(res.headers.location).toBe('/queues/login');
      // An expired session cookie is no session either.
      const expired = await auth.mint({ roles: ['operator'], expiresIn: -120 });
      const stale = await call('get', '/queues', { ...html, cookie: `statex_access=${expired}` }).expect(302);
      expect(stale.headers.location).toBe('/queues/login');

      const login = await call('get', '/queues/login', html).expect(200);
      expect(login.headers['content-type']).toContain('text/html');
      expect(login.text).toContain('<form method="post" action="/queues/login">');
      expect(login.text).toContain('type="password"');
    });

    it('refuses a forged token and a client with 401 and 403', async () => {
      await call('get', '/queues/api/queues', bearer(auth.unsigned())).expect(401);
      await call('get', '/queues/api/queues', bearer(await auth.tampered())).expect(401);
      await call('get', '/queues/api/queues', bearer(await auth.mint({ roles: ['client'] }))).expect(403);
      await call('get', '/queues/api/queues', bearer(await auth.mint({ roles: ['service'] }))).expect(403);
    });

    it('serves the board to an operator: with a bearer token, or with the session cookie its sign-in page sets', async () => {
      const board = await call('get', '/queues', { ...html, ...operator }).redirects(1);
      expect(board.status).toBe(200);
      expect(board.text).toContain('<html');
      const queues = await call('get', '/queues/api/queues', operator).expect(200);
      expect(JSON.stringify(queues.body)).toContain('notifications-email');

      const token = await auth.mint({ roles: ['operator'] });
      const withCookie = await call('get', '/queues/api/queues', { cookie: `statex_access=${token}` }).expect(200);
      expect(JSON.stringify(withCookie.body)).toContain('notifications-email');
    });
  });
});
