import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { BrokerProbe, removeTestNamespace, ServiceUnderTest, startServiceForTest, testEnv, uniqueNamespace, waitFor } from '@statex/testing';
import { userPortalService } from '../src/user-portal.app';
import { UserPortalEnv } from '../src/user-portal.env';

const PASSWORD = 'correct horse battery staple';
const PER_ADDRESS = 3;
const PER_ACCOUNT = 2;
const WINDOW_S = 2;

/** A client address of its own for each test (the loopback proxy names it), so each count starts at zero. */
const newAddress = () => `10.${[...randomBytes(3)].join('.')}`;
const newEmail = () => `${randomUUID()}@example.com`;

type Endpoint = { name: string; path: string; body: (email: string) => object; answer: number };

/** Each throttled auth endpoint, with a request it answers normally (not 429) and that answer. */
const ENDPOINTS: Endpoint[] = [
  { name: 'login', path: '/api/auth/login', body: (email) => ({ email, password: 'wrong password here' }), answer: 401 },
  { name: 'register', path: '/api/auth/register', body: (email) => ({ email, password: PASSWORD, name: 'Jana' }), answer: 202 },
  { name: 'verify', path: '/api/auth/verify', body: () => ({ token: `not-a-token-${randomUUID()}` }), answer: 400 },
  { name: 'resend-verification', path: '/api/auth/resend-verification', body: (email) => ({ email }), answer: 202 },
  { name: 'forgot-password', path: '/api/auth/forgot-password', body: (email) => ({ email }), answer: 202 },
  { name: 'reset-password', path: '/api/auth/reset-password', body: () => ({ token: `not-a-token-${randomUUID()}`, password: 'a brand new passphrase' }), answer: 400 },
];

/**
 * user-portal's throttles on the real Redis, with small limits (AUTH_RATE_LIMIT_IP_PER_WINDOW=3,
 * AUTH_RATE_LIMIT_ACCOUNT_PER_WINDOW=2, AUTH_RATE_LIMIT_WINDOW_S=2): each endpoint answers the
 * request over a limit with 429 and Retry-After, counts each client address and each account on
 * its own, and answers normally again once the window has passed.
 */
describe('user-portal: throttling of the auth endpoints (real Redis)', () => {
  const namespace = uniqueNamespace('thr');
  let portal: ServiceUnderTest;
  let http: ReturnType<typeof request>;

  const send = (endpoint: Endpoint, address: string, email = newEmail()) => http.post(endpoint.path).set('x-forwarded-for', address).send(endpoint.body(email));
  const expectLimited = (res: request.Response, what: RegExp) => {
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_S);
    expect(res.body.message).toMatch(/^Too many requests: /);
    expect(res.body.message).toMatch(what);
  };

  beforeAll(async () => {
    const env = testEnv(UserPortalEnv, namespace, {
      AUTH_RATE_LIMIT_IP_PER_WINDOW: PER_ADDRESS,
      AUTH_RATE_LIMIT_ACCOUNT_PER_WINDOW: PER_ACCOUNT,
      AUTH_RATE_LIMIT_WINDOW_S: WINDOW_S,
      // The loopback proxy may name the client, so one test plays many addresses.
      TRUST_PROXY: '127.0.0.1,::1',
    });
    portal = await startServiceForTest(userPortalService, env);
    http = portal.http;
  });

  afterAll(async () => {
    await portal?.app.close();
    await removeTestNamespace(namespace);
    const probe = await new BrokerProbe(namespace).start();
    await probe.cleanup(['user-portal']);
    await probe.stop();
  });

  it.each(ENDPOINTS.map((e) => [e.name, e] as const))('%s: the 4th request in the window from one address is a 429 with Retry-After; another address goes on; the first recovers after the window', async (_name, endpoint) => {
    const address = newAddress();
    // A new account each time: only the address is counted to its limit.
    for (let i = 0; i < PER_ADDRESS; i += 1) expect((await send(endpoint, address)).status).toBe(endpoint.answer);
    expectLimited(await send(endpoint, address), new RegExp(`at most ${PER_ADDRESS} every ${WINDOW_S} s from one address`));
    expect((await send(endpoint, newAddress())).status).toBe(endpoint.answer);
    await waitFor(async () => (await send(endpoint, address)).status === endpoint.answer, { timeoutMs: (WINDOW_S + 2) * 1000, intervalMs: 250, what: `${endpoint.name} to answer that address again` });
  });

  it.each(ENDPOINTS.filter((e) => ['login', 'register', 'resend-verification', 'forgot-password'].includes(e.name)).map((e) => [e.name, e] as const))(
    '%s: the 3rd request in the window for one account is a 429, from whichever address; it recovers after the window',
    async (_name, endpoint) => {
      const email = newEmail();
      for (let i = 0; i < PER_ACCOUNT; i += 1) expect((await send(endpoint, newAddress(), email)).status).toBe(endpoint.answer);
      // Letter case does not make it another account.
      expectLimited(await send(endpoint, newAddress(), email.toUpperCase()), new RegExp(`at most ${PER_ACCOUNT} every ${WINDOW_S} s for one account`));
      await waitFor(async () => (await send(endpoint, newAddress(), email)).status === endpoint.answer, { timeoutMs: (WINDOW_S + 2) * 1000, intervalMs: 250, what: `${endpoint.name} to answer for that account again` });
    },
  );
});
